"""Attention as retrieval: utilities, hypotheses, the margin lemma (ours), end-to-end checks."""

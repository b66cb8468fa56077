"""Transformer-type architectures: residual attention layers and what the transformer-uap
theorem (Cheng, Lin, Shen & Li, arXiv 2506.23551; definitions ours) checks about them.

Modules: :mod:`.layers` (softmax via torch SDPA, RBF, ReLU-feature linear attention, batched
over parameter draws), :mod:`.distinguish` (token distinguishability, exact sympy gaps, the
ReLU parameter-box proof), :mod:`.hard_limit` (sympy hard-attention limits),
:mod:`.sparse` (networkx attention graphs, hop distances), :mod:`.equivariance` (group
designs, sympy.combinatorics), :mod:`.model` (small residual transformers, equivariant
targets, a fixed-iteration trainer), :mod:`.enclose` (interval certificate of sup |f − t|),
:mod:`.uap` (train/certify table, token-wise floor), :mod:`.checks` (check bodies).
"""

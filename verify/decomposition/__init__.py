"""Layer matrix decomposition (LMD) of MLP feature maps and what it implies (ours, after Ng, Luo
& Qiu, arXiv 2309.05968; see ``docs/math.md``, section ``layer-decomposition``).

Modules, one job each: :mod:`.svd` (per-layer truncated SVD, Eckart–Young–Mirsky identities,
a search for a better rank-r matrix), :mod:`.networks` (the committed witnesses and small
networks trained here), :mod:`.perturbation` (layer perturbation bounds and their composition),
:mod:`.compress` (compressed witnesses re-certified rank by rank), :mod:`.encoding` (our
operational encoding theorem: stable convergence, certified Lipschitz bound, margin),
:mod:`.subspace` (weight decay and a latent data subspace), :mod:`.hopfield` (modern Hopfield
update = attention, retrieval bound from the margin lemma).
"""

"""Neuron-count bounds N(eps) for relation functions: statements, quantities, verdicts, scaling.

* :mod:`~verify.bounds.statement`: a bound as a sympy formula over named instance quantities;
* :mod:`~verify.bounds.quantities`: those quantities from the spectra layer (plus a Barron-norm
  estimate, ours);
* :mod:`~verify.bounds.derived`: our own bound along the proof route (not the paper's formula);
* :mod:`~verify.bounds.verdict`: a stated bound through the claim pipeline (:mod:`verify.claims`);
* :mod:`~verify.bounds.scaling`: smallest width reaching eps on a grid of eps, through sweeps.
"""

from verify.bounds.derived import (
    DerivedBound,
    DerivedBoundError,
    derived_bound,
    feature_accuracies,
    product_error,
)
from verify.bounds.quantities import InstanceQuantities, barron_norm_estimate, compute_quantities
from verify.bounds.statement import BoundStatement, parse_bound
from verify.bounds.verdict import candidate_widths, judge_bound, neurons_for_width, refutes

__all__ = [
    "BoundStatement",
    "DerivedBound",
    "DerivedBoundError",
    "InstanceQuantities",
    "barron_norm_estimate",
    "candidate_widths",
    "compute_quantities",
    "derived_bound",
    "feature_accuracies",
    "judge_bound",
    "neurons_for_width",
    "parse_bound",
    "product_error",
    "refutes",
]

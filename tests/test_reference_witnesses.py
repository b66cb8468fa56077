"""The witnesses saved with the committed reference report re-certify from their files alone:
load the network, take the relation from the theorem module, certify at the instance's ε.
(The 4-D ones take ~10 s each and are marked slow.)"""

from pathlib import Path

import pytest

from verify.certify import certify_sup
from verify.core.registry import get_theorem
from verify.models.inner_product import InnerProductModel

REF = Path(__file__).resolve().parents[1] / "reports" / "reference" / "artifacts"
CASES = [
    ("symmetric-pd", "gaussian-1d", False),
    ("symmetric-pd", "laplace-1d", False),
    ("asymmetric", "tanh-difference", False),
    ("asymmetric", "mixed-dimensions", False),
    ("symmetric-pd", "gaussian-2d", True),
    ("asymmetric", "attention-kernel", True),
]


@pytest.mark.parametrize(
    "theorem,instance",
    [pytest.param(t, i, marks=[pytest.mark.slow] if slow else []) for t, i, slow in CASES],
)
def test_reference_witness_recertifies(theorem, instance):
    path = REF / theorem / instance / "witness" / "witness.json"
    if not path.is_file():
        pytest.skip(f"no reference witness at {path}")
    inst = next(i for i in get_theorem(theorem).instances if i.id == instance)
    model = InnerProductModel.load(path)
    psi = None if model.symmetric else model.psi.layers()
    cert = certify_sup(inst["relation"], model.phi.layers(), psi, model.phi.config.activation,
                       eps=inst["eps"], symmetric=model.symmetric, time_budget_s=120)
    assert cert.status == "certified", cert.method
    assert cert.lower <= cert.upper <= inst["eps"]

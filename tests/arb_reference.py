"""Reference evaluation of MLPs in python-flint's arb ball arithmetic (rigorous), shared by
the certifier's soundness tests."""

import pytest
from flint import arb, ctx


def arb_act(a: arb, act: str) -> arb:
    if act == "tanh":
        return a.tanh()
    if act == "relu":
        return a if a > 0 else arb(0)
    if act == "sigmoid":
        return 1 / (1 + (-a).exp())
    return (1 + a.exp()).log()


def arb_mlp(layers, act: str, x) -> list[arb]:
    """Outputs of the MLP ``layers`` = [(W, b), ...] at the float point ``x``, as arb balls."""
    h = [arb(float(v)) for v in x]
    for i, (W, b) in enumerate(layers):
        h = [
            sum((arb(float(W[j, k])) * h[k] for k in range(W.shape[1])), arb(float(b[j])))
            for j in range(W.shape[0])
        ]
        if i < len(layers) - 1:
            h = [arb_act(v, act) for v in h]
    return h


@pytest.fixture(autouse=True)
def arb_precision():
    """arb at 120 bits for the test (a soundness module imports this to make it autouse)."""
    old = ctx.prec
    ctx.prec = 120
    yield
    ctx.prec = old

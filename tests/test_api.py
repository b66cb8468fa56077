"""The public API: certify torch modules (planted exact models and their ×1.5 controls), a
callable relation's certificate refused with its reason, reports written, bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import verify
from verify.api import ClaimReport, check, default_budget
from verify.api_certify import certify_layers
from verify.models.torch_import import ModelError, layers_from_module
from verify.relations.sklearn_kernels import relation_from_callable
from verify.relations.text import expression_text


def _net(d_in: int, width: int, d_out: int, seed: int) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d_in, width), torch.nn.Tanh(),
                               torch.nn.Linear(width, d_out)).double()


def _features_text(net: torch.nn.Sequential, var: str, d: int) -> list[str]:
    """The network's outputs as expression text in ``var0 .. var{d-1}`` (exact floats)."""
    import sympy

    xs = sympy.symbols(f"{var}0:{d}", real=True)
    (w1, b1), (w2, b2) = [(m.weight.detach().numpy(), m.bias.detach().numpy())
                          for m in net if isinstance(m, torch.nn.Linear)]
    hidden = [sympy.tanh(sum(sympy.Float(w1[j, i]) * xs[i] for i in range(d))
                         + sympy.Float(b1[j])) for j in range(w1.shape[0])]
    return [expression_text(sum(sympy.Float(w2[k, j]) * hidden[j] for j in range(len(hidden)))
                            + sympy.Float(b2[k])) for k in range(w2.shape[0])]


def test_certify_planted_pair_and_scaled_control(tmp_path):
    phi, psi = _net(1, 3, 2, 0), _net(1, 3, 2, 1)
    fx, fy = _features_text(phi, "x", 1), _features_text(psi, "y", 1)
    text = " + ".join(f"({a})*({b})" for a, b in zip(fx, fy))
    rel = verify.relation(text, "[-1,1]", "[0,2]")
    good = verify.certify_model(rel, phi, psi, eps=1e-6, out=tmp_path)
    assert good.status.value == "confirmed", good.verdict.summary
    assert good.verdict.strength_kind.value == "certified"
    with torch.no_grad():
        psi[2].weight *= 1.5
        psi[2].bias *= 1.5
    bad = verify.certify_model(rel, phi, psi, eps=1e-6)
    assert bad.status.value == "refuted" and bad.verdict.reason == "counterexample"
    point = bad.verdict.evidence["point"]
    assert len(point["x"]) == 1 and 0 <= point["y"][0] <= 2
    data = json.loads((good.report_dir / "report.json").read_text())
    assert data["provenance"]["claim"]["status"] == "confirmed"
    assert data["theorems"][0]["results"][0]["kind"] == "certificate"


def test_certify_symmetric_linear_model():
    rel = verify.relation("x*y", "[-1,1]")
    phi = torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False)).double()
    with torch.no_grad():
        phi[0].weight.fill_(1.0)
    assert verify.certify_model(rel, phi, eps=1e-9).status.value == "confirmed"
    with torch.no_grad():
        phi[0].weight.fill_(1.5)
    res = verify.certify_model(rel, phi, eps=1e-9)
    assert res.status.value == "refuted" and "1.25" in res.verdict.summary


def test_callable_relation_cannot_be_certified():
    rel = relation_from_callable(lambda x, y: torch.exp(-(x - y).pow(2).sum(-1)), "[-1,1]")
    layers, act = layers_from_module(_net(1, 4, 2, 0))
    res = certify_layers(rel, layers, None, act, 1e-2)
    assert res.status.value == "not-applicable" and res.reason == "hypothesis:symbolic"
    assert "cannot be issued" in res.summary and "symbolic form" in res.summary


@pytest.mark.parametrize("layers,needle", [
    ([torch.nn.Linear(1, 4), torch.nn.GELU(), torch.nn.Linear(4, 2)], "GELU"),
    ([torch.nn.Linear(1, 4), torch.nn.Tanh()], "end with Linear"),
    ([torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4), torch.nn.ReLU(),
      torch.nn.Linear(4, 2)], "one activation"),
    ([torch.nn.Linear(1, 4), torch.nn.Linear(5, 2)], "alternating"),
    ([torch.nn.Linear(1, 4), torch.nn.Softplus(beta=2), torch.nn.Linear(4, 2)], "beta"),
])
def test_unsupported_modules(layers, needle):
    with pytest.raises(ModelError, match=needle):
        layers_from_module(torch.nn.Sequential(*layers))


def test_shape_errors_name_the_problem():
    rel = verify.relation("x0*y0", "[-1,1]^2")
    with pytest.raises(ModelError, match="2"):
        verify.certify_model(rel, _net(1, 4, 2, 0), eps=1e-2)
    with pytest.raises(ModelError, match="features"):
        verify.certify_model(verify.relation("x*y", "[-1,1]"), _net(1, 4, 2, 0), _net(1, 4, 3, 0),
                       eps=1e-2)


def test_relverify_models_accepted():
    from verify.models.inner_product import InnerProductModel

    model = InnerProductModel.build(dx=1, dy=1, width=4, depth=1, feature_dim=2,
                                    activation="tanh", symmetric=False, seed=0)
    rel = verify.relation("x*y", "[0,1]")
    res = verify.certify_model(rel, model, eps=10.0)
    assert res.status.value == "confirmed"
    assert verify.certify_model(rel, model.phi, model.psi, eps=10.0).status.value == "confirmed"


@pytest.mark.parametrize("kwargs,needle", [
    ({"eps": 0.0, "neurons": 4}, "eps"), ({"eps": float("nan"), "neurons": 4}, "eps"),
    ({"eps": 1e-2}, "budget"), ({"eps": 1e-2, "neurons": 0}, "neurons"),
    ({"eps": 1e-2, "neurons": 4, "activation": "gelu"}, "activation"),
    ({"eps": 1e-2, "bound": "2 +"}, "bound"),
])
def test_check_bad_arguments(kwargs, needle):
    rel = verify.relation("exp(-(x-y)**2)", "[-1,1]")
    eps = kwargs.pop("eps")
    with pytest.raises(ValueError, match=needle):
        check(rel, eps, **kwargs)


def test_default_budget():
    rel = verify.relation("exp(-(x-y)**2/0.5)", "[-1,1]")
    b = default_budget(rel, 1e-3, symmetric=True, neurons=32)
    assert (b.width, b.depth) == (32, 1) and 8 <= b.feature_dim <= 32
    b = default_budget(rel, 1e-3, symmetric=False, neurons=64, depth=2, features=5)
    assert (b.width, b.depth, b.feature_dim) == (16, 2, 5)


def test_check_claim_report_without_training(tmp_path):
    rel = verify.relation("1-(x-y)**2", "[-1,1]")
    rep = check(rel, 1e-2, neurons=32, profile="quick", out=tmp_path)
    assert isinstance(rep, ClaimReport) and rep.exit_code == 1
    assert rep.verdict.reason == "weyl-lower-bound"
    assert rep.results["symmetric-pd::positive-definite"].status.value == "not-applicable"
    assert (rep.report_dir / "report.html").exists()
    again = rep.write_report(tmp_path / "second")
    assert json.loads((again / "report.json").read_text())["complete"]


@pytest.mark.slow
@pytest.mark.parametrize("make", ["matern", "rbf2", "expsine"])
def test_check_runs_on_sklearn_kernels(make):
    from sklearn.gaussian_process.kernels import RBF, ExpSineSquared, Matern

    k, dom = {"matern": (Matern(length_scale=0.5, nu=1.5), "[-1,1]"),
              "rbf2": (1.0 * RBF([0.5, 1.0]), "[-1,1]^2"),
              "expsine": (ExpSineSquared() * RBF(), "[-1,1]")}[make]
    rel = verify.kernel(k, dom)
    rep = check(rel, 5e-2, neurons=32, profile="quick")
    assert rep.results["symmetric-pd::symmetric"].status.value == "confirmed"
    assert rep.status.value in ("confirmed", "inconclusive")
    assert np.isfinite(rel.gram(rel.x_box.grid(3), rel.x_box.grid(3))).all()


def test_set_relation_expression_for_neuron_bounds():
    from theorems import neuron_bounds as nb
    from verify.core.profiles import get_profile
    from verify.core.runner import run_case

    (inst,) = nb._user_bound({"bound": "2", "relation": "exp(-(x-y)**2/0.5)",
                              "domain": "[-1,1]"})
    assert isinstance(inst.params["relation"], dict)  # the expression travels, not a name
    assert "exp" in inst.params["relation"]["expression"]
    out = run_case(nb.THEOREM, inst, nb.THEOREM.checks["stated-bound"], inst.expect[
        "stated-bound"], profile=get_profile("quick"), run_seed=0)
    assert out.result.status.value == "refuted", out.result.summary
    with pytest.raises(ValueError, match="relation"):
        nb._user_bound({"bound": "2", "relation": "__import__('os')"})


def test_sweep_task_carries_the_expression():
    from verify.bounds.scaling import TASK_FN
    from verify.claims import Policy
    from verify.relations.text import relation_spec
    from verify.sweeps import Task
    from verify.sweeps.tasks import run_task

    spec = relation_spec(verify.relation("exp(-(x-y)**2)", "[-1,1]"))
    task = Task(TASK_FN, {"relation": spec, "relation_params": {}, "eps": 0.5, "width": 2,
                          "policy": Policy(certify=False, train_margin=1.0, seed=0,
                                           train_rounds=5).to_dict(),
                          "warm_start": None}, seed=0)
    out = run_task(task)
    assert out["neurons"] == 2 and "reached" in out


def test_witness_file_is_accepted(tmp_path, capsys):
    from verify.cli import main
    from verify.models.inner_product import InnerProductModel

    model = InnerProductModel.build(dx=1, dy=1, width=3, depth=1, feature_dim=2,
                                    activation="tanh", symmetric=False, seed=0)
    path = model.save(tmp_path / "witness.json")
    argv = ["certify", str(path), "--relation", "x*y", "--domain", "[0,1]", "--out",
            str(tmp_path / "r")]
    assert main(argv + ["--eps", "10"]) == 0
    assert main(argv + ["--eps", "10", "--psi", str(path)]) == 2  # ψ is in the file already
    assert "already holds ψ" in capsys.readouterr().err

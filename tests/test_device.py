"""``--device``: every tensor of training and of the torch enclosures is created on the chosen
device (audited on the CPU with tests/device_audit.py), and CUDA runs match CPU runs (those
tests are skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from device_audit import DeviceAudit, devices

from verify.relations import gaussian
from verify.trainers import fit_inner_product

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
TRAINING = ("verify/trainers/", "verify/certify/sampled.py", "verify/models/",
            "verify/relations/")
#: MLP weights are drawn on the CPU from a seeded generator and then moved (``.to(device)``):
#: the same seed gives the same initial weights on every device
ALLOWED = ("verify/models/mlp.py",)


def _fit(device: str, **kw):
    opts = dict(symmetric=True, width=16, depth=1, feature_dim=6, eps=1e-3,
                warm_start="spectral", max_rounds=20, seed=0, check_k=201)
    opts.update(kw)
    return fit_inner_product(gaussian(0.5), device=device, **opts)


def test_training_creates_every_tensor_on_the_device():
    """A fit with the spectral warm start (LM) and one with L-BFGS (asymmetric, depth 2):
    no tensor factory without a device outside the seeded initialisation."""
    with DeviceAudit(TRAINING) as audit:
        fit = _fit("cpu")
        _fit("cpu", symmetric=False, width=6, depth=2, feature_dim=3, max_rounds=2,
             optimizer="lbfgs", warm_start=None, round_iters=5)
    assert fit.status == "reached"
    stray = {k: v for k, v in audit.no_device.items() if not k.startswith(ALLOWED)}
    assert stray == {}, f"tensors created without a device (CPU on a CUDA run): {stray}"
    # the warm start's host transfers are its numpy results, not per-iteration syncs
    warm = sum(v for k, v in audit.host.items() if k.startswith("verify/trainers/warm.py"))
    assert warm <= 4


def test_torch_enclosure_creates_every_tensor_on_the_device():
    import sympy as sp

    from verify.certify.taylor_model import TaylorErrorEnclosure
    from verify.certify.torch_taylor import TorchTaylorEnclosure

    x, y = sp.symbols("x y", real=True)
    rng = np.random.default_rng(0)
    phi = [(rng.normal(size=(8, 1)), rng.normal(size=8)), (rng.normal(size=(3, 8)),
                                                           rng.normal(size=3))]
    expr = sp.exp(-(x - y) ** 2)
    enc = TorchTaylorEnclosure(TaylorErrorEnclosure(expr, [x], [y], phi, None, "tanh", 4),
                               expr, (x, y), "cpu")
    lo = rng.uniform(-1, 0.5, (64, 2))
    with DeviceAudit(("verify/certify/torch_",)) as audit:
        enc(lo, lo + 0.1)
        enc.at_points(lo)
    assert dict(audit.no_device) == {}
    # host transfers: the results once per call (8 + 2 arrays, each ``.cpu()`` and
    # ``.numpy()``), none inside the computation
    assert sum(audit.host.values()) <= 20


def test_certify_cli_refuses_cuda_without_a_gpu(tmp_path, capsys):
    from verify.cli import main

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    code = main(["certify", str(tmp_path / "none.json"), "--relation", "exp(-(x-y)**2)",
                 "--domain", "[-1,1]", "--eps", "0.1", "--device", "cuda", "--out",
                 str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and "cuda" in err


@pytest.mark.parametrize("device", devices())
def test_fit_reports_its_device(device):
    fit = _fit(device, max_rounds=3)
    assert fit.device.startswith(device)
    assert next(fit.model.parameters()).device.type == device


@cuda
def test_cuda_fit_and_certificate_match_cpu():
    """Same seed on CPU and CUDA: both reach ε (the trajectories may part: the GPU's exp and
    matmul round differently), and the CUDA certificate (torch enclosures on the GPU, batch
    16384) reaches the CPU one's verdict; with the CPU's batch, the same bound (to rounding)."""
    from verify.certify import certify_sup
    from verify.claims.pipeline import certify_model
    from verify.claims.policy import Policy

    a, b = _fit("cpu"), _fit("cuda")
    assert a.status == b.status == "reached"
    assert max(a.sampled_sup.value, b.sampled_sup.value) <= 1e-3
    rel = gaussian(0.5)
    pol = Policy(certify=True, train_margin=0.7, seed=0, certify_leaves=20_000,
                 certify_wall_clock_s=120.0)
    c_cpu = certify_model(rel, a.model, 1e-3, policy=pol)
    c_gpu = certify_model(rel, a.model.to("cpu"), 1e-3, policy=pol.with_(device="cuda"))
    assert c_cpu.status == c_gpu.status
    assert c_gpu.certificate.extra["backend"].startswith("torch on cuda")
    assert c_gpu.certificate.extra["batch"] == 16384
    m = a.model.to("cpu")
    same = certify_sup(rel, m.phi.layers(), None, "tanh", symmetric=True, eps=1e-3,
                       max_leaves=20_000, batch=1024, device="cuda")
    # last-bit differences (GPU exp/tanh) may flip a near-tie of the B&B's ordering
    assert same.upper == pytest.approx(c_cpu.certificate.upper, rel=1e-3)
    assert same.leaves == pytest.approx(c_cpu.certificate.leaves, rel=0.05)


@cuda
def test_cuda_enclosure_matches_cpu():
    """The torch enclosure on CUDA equals the one on the CPU up to rounding-level drift (the
    GPU's exp/tanh differ by ulps, covered by the margins of both)."""
    import sympy as sp

    from verify.certify.taylor_model import TaylorErrorEnclosure
    from verify.certify.torch_taylor import TorchTaylorEnclosure

    x0, x1, y0, y1 = sp.symbols("x0 x1 y0 y1", real=True)
    rng = np.random.default_rng(8)
    phi = [(rng.normal(size=(16, 2)) * 1.5, rng.normal(size=16) * 0.5),
           (rng.normal(size=(6, 16)) * 2.5, rng.normal(size=6))]
    expr = sp.exp(-((x0 - y0) ** 2 + (x1 - y1) ** 2))
    base = TaylorErrorEnclosure(expr, [x0, x1], [y0, y1], phi, None, "tanh", order=4)
    lo = rng.uniform(-1, 0.8, (500, 4))
    hi = lo + 0.05
    a = TorchTaylorEnclosure(base, expr, (x0, x1, y0, y1), "cpu")(lo, hi)
    b = TorchTaylorEnclosure(base, expr, (x0, x1, y0, y1), "cuda")(lo, hi)
    for u, v in ((a.enclosure, b.enclosure), (a.centre_value, b.centre_value)):
        assert np.allclose(u.lo, v.lo, rtol=1e-9, atol=1e-12)
        assert np.allclose(u.hi, v.hi, rtol=1e-9, atol=1e-12)


def test_gpu_bench_measures_cpu_paths_and_marks_cuda_unmeasured():
    """bench.gpu_vs_cpu on a tiny witness: every path gives leaves per second; without CUDA
    the table carries the "not measured" row (no crash)."""
    from types import SimpleNamespace

    from bench import gpu_vs_cpu as g
    from verify.models import InnerProductModel

    rel = gaussian(0.5)
    model = InnerProductModel.build(dx=1, dy=1, width=4, depth=1, feature_dim=2,
                                    activation="tanh", symmetric=True, seed=0)
    paths = g._paths(rel, SimpleNamespace(model=model), torch.cuda.is_available())
    assert [p[0] for p in paths][:2] == ["numpy", "torch-cpu"]
    rows = [g._measure(rel, enc, 0.5, 400, 300, 64, dev, setup, at_eps=True)
            for _, enc, _, dev, setup in paths[:2]]
    assert all(r["leaves_per_s"] > 0 and r["throughput_leaves"] >= 300 for r in rows)
    assert rows[0]["leaves"] == rows[1]["leaves"] and rows[0]["status"] == rows[1]["status"]
    out = {"machine": {"date_utc": "now", "platform": "here", "cpu_count": 2}, "cuda": None,
           "rows": [{"witness": "tiny", "command": "c", **rows[0]},
                    {"witness": "tiny", "device": "cuda", "status": g.NOT_MEASURED}]}
    md = g.markdown(out)
    assert g.NOT_MEASURED in md and "| tiny |" in md

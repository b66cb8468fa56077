r"""Certify a given network pair against a relation (:func:`certify_model` of :mod:`verify.api`).

The claim, for networks φ (and ψ; ψ = φ when not given) that the user trained anywhere:

.. math::

    \sup_{(x, y) \in X \times Y} \big| r(x, y) - \langle \phi(x), \psi(y) \rangle \big|
    \le \varepsilon .

It is decided by the branch-and-bound certifier :func:`verify.certify.certify_sup` (ours):
``confirmed`` with a bound proven over the whole box, ``refuted`` with the point where the error
provably exceeds ε, ``inconclusive`` when the budget ends first, ``not-applicable`` when ``r`` has
no symbolic form (a plain callable: there is nothing to enclose, so no certificate can be
issued). The check runs through :func:`verify.core.runner.run_case` like every other check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from verify.core.result import Result
from verify.core.status import CheckKind, Status, Strength
from verify.core.theorem import Hypothesis, Instance, Source, Theorem
from verify.models.torch_import import Layers, ModelError, layers_from_module, load_network
from verify.relations.base import Relation

CERTIFY = Theorem(
    id="certify",
    title="A given inner-product model <φ(x), ψ(y)> is within ε of r over the whole domain",
    source=Source(paper="relverify certifier (ours): branch and bound with Taylor-model and "
                  "interval enclosures, verify/certify", note="a check of a given model, not a "
                  "paper's theorem"),
    statement="sup over X×Y of |r(x,y) − <φ(x),ψ(y)>| ≤ ε for the given networks φ, ψ",
    latex=r"\sup_{X\times Y}|r(x,y)-\langle\phi(x),\psi(y)\rangle|\le\varepsilon",
    hypotheses=(Hypothesis("symbolic", "r has a sympy expression the certifier can enclose"),),
)


def certify_layers(rel: Relation, phi: Layers, psi: Layers | None, activation: str, eps: float,
                   *, seed: int = 0, time_budget_s: float = 60.0,
                   device: str = "cpu") -> Result:
    """The certifier's verdict on ``sup |r − <φ, ψ>| ≤ eps`` as a :class:`Result` (the one call
    of :func:`verify.certify.certify_sup` in the user API). ``device`` other than ``"cpu"``
    runs the enclosures on the torch backend there (:mod:`verify.certify.torch_taylor`)."""
    from verify.certify import certify_sup

    if rel.expr is None:
        return Result.not_applicable(
            f"a certificate cannot be issued for {rel.name}: it is a plain callable without a "
            "symbolic form, and the certifier encloses sympy expressions only",
            "not attempted", relation=rel.describe()).because("hypothesis:symbolic",
                                                              Strength.NONE)
    symmetric = psi is None and rel.x_box == rel.y_box and rel.symmetric
    dev = None if str(device) == "cpu" else str(device)
    try:
        cert = certify_sup(rel, phi, psi, activation, eps=eps, time_budget_s=time_budget_s,
                           symmetric=symmetric, seed=seed, device=dev)
    except ValueError as exc:
        if not symmetric:
            raise
        cert = certify_sup(rel, phi, psi, activation, eps=eps, time_budget_s=time_budget_s,
                           symmetric=False, seed=seed, device=dev)
        cert.extra["symmetric_pruning_refused"] = str(exc)
    evidence = {"certificate": cert.to_dict(), "eps": eps, "activation": activation}
    if cert.status == "certified":
        return Result.confirmed(
            f"certified sup |r − <φ,ψ>| ≤ {cert.upper:.3e} ≤ ε = {eps:g} over the whole domain "
            f"(B&B, {cert.leaves} leaves, {cert.time_s:.1f} s); sampled sup {cert.lower:.3e}",
            f"certified bound over the whole domain: {cert.method}", **evidence,
        ).because(None, Strength.CERTIFIED)
    if cert.status == "refuted":
        pt = np.asarray(cert.lower_point if cert.lower_point is not None else [], dtype=float)
        x, y = pt[: rel.dx].tolist(), pt[rel.dx:].tolist()
        return Result.refuted(
            f"|r − <φ,ψ>| ≥ {cert.lower:.4g} > ε = {eps:g} at x = {x}, y = {y}",
            "rigorous evaluation of the error at an explicit point (interval arithmetic)",
            point={"x": x, "y": y}, **evidence).because("counterexample", Strength.LOWER_BOUND)
    return Result.inconclusive(
        f"the certifier ended undecided within its budget: sup |r − <φ,ψ>| in "
        f"[{cert.lower:.3e}, {cert.upper:.3e}], ε = {eps:g}",
        "certification did not decide", **evidence)


@CERTIFY.check("certificate", CheckKind.CERTIFICATE,
               "branch and bound over X×Y: sup |r − <φ,ψ>| ≤ ε, or a point where it exceeds ε",
               tests=("symbolic",), reasons=("counterexample", "hypothesis:symbolic"))
def _certificate(instance, ctx) -> Result:
    return certify_layers(instance["relation"], instance["phi"], instance["psi"],
                          instance["activation"], instance["eps"], seed=ctx.seed,
                          time_budget_s=instance["time_budget_s"],
                          device=str(getattr(ctx, "device", "cpu")))


def _as_layers(net: Any, where: str, arch: str | None = None) -> tuple[Layers, Layers | None,
                                                                        str]:
    if isinstance(net, (str, Path)):
        return load_network(net, arch)
    from verify.models.inner_product import InnerProductModel

    if isinstance(net, InnerProductModel):
        return (net.phi.layers(), None if net.psi is None else net.psi.layers(),
                net.phi.config.activation)
    if isinstance(net, torch.nn.Module):
        layers, act = layers_from_module(net, where)
        return layers, None, act
    raise ModelError(f"{where}: expected a torch.nn.Module or a model file, got "
                     f"{type(net).__name__}")


def resolve_networks(rel: Relation, phi: Any, psi: Any = None, *, arch: str | None = None,
                     psi_arch: str | None = None) -> tuple[Layers, Layers | None, str]:
    """Layers of φ and ψ, checked against the relation's dimensions (ModelError otherwise)."""
    phi_l, psi_l, act = _as_layers(phi, "φ", arch)
    if psi is not None:
        if psi_l is not None:
            raise ModelError("the φ file already holds ψ (a witness with two networks); do not "
                             "pass --psi")
        psi_l, psi_extra, psi_act = _as_layers(psi, "ψ", psi_arch)
        if psi_extra is not None:
            raise ModelError("ψ: a witness file with two networks cannot serve as ψ")
        if psi_act != act and len(phi_l) > 1 and len(psi_l) > 1:
            raise ModelError(f"φ uses {act} and ψ uses {psi_act}: one activation for both "
                             "networks is supported")
    d_phi = phi_l[0][0].shape[1]
    if d_phi != rel.dx:
        raise ModelError(f"φ takes {d_phi} inputs but the domain of x has dimension {rel.dx}")
    other = phi_l if psi_l is None else psi_l
    d_psi = other[0][0].shape[1]
    if d_psi != rel.dy:
        name = "φ (used for y too: no ψ given)" if psi_l is None else "ψ"
        raise ModelError(f"{name} takes {d_psi} inputs but the domain of y has dimension "
                         f"{rel.dy}")
    if psi_l is not None and psi_l[-1][0].shape[0] != phi_l[-1][0].shape[0]:
        raise ModelError(f"φ has {phi_l[-1][0].shape[0]} features but ψ has "
                         f"{psi_l[-1][0].shape[0]}")
    return phi_l, psi_l, act


def certify_model(rel: Relation, phi: Any, psi: Any = None, *, eps: float, seed: int = 0,
            time_budget_s: float = 60.0, out: str | Path | None = None,
            arch: str | None = None, psi_arch: str | None = None, device: str = "cpu"):
    """Certify ``sup |r − <φ, ψ>| ≤ eps`` for torch modules (or model files; ψ = φ if absent).
    ``device``: ``"cpu"`` (numpy enclosures) or ``"cuda"`` (the torch backend on the GPU).

    Returns a :class:`verify.api.ClaimReport` whose verdict is the certificate's Result.
    """
    from verify.api import ClaimReport, _positive_eps, new_report_dir
    from verify.core.profiles import get_profile
    from verify.core.runner import run_case

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    eps = _positive_eps(eps)
    phi_l, psi_l, act = resolve_networks(rel, phi, psi, arch=arch, psi_arch=psi_arch)
    inst = Instance("user", {"relation": rel, "phi": phi_l, "psi": psi_l, "activation": act,
                             "eps": eps, "time_budget_s": float(time_budget_s)},
                    {"certificate": "confirmed"},
                    f"your claim: the given networks are within {eps:g} of {rel.name}")
    thm = replace(CERTIFY, instances=[inst])
    outcome = run_case(thm, inst, thm.checks["certificate"], Status.CONFIRMED,
                       profile=get_profile("standard"), run_seed=seed, device=device)
    neurons = sum(w.shape[0] for w, _ in phi_l[:-1]) + (
        0 if psi_l is None else sum(w.shape[0] for w, _ in psi_l[:-1]))
    model = "<φ,φ>" if psi_l is None else "<φ,ψ>"
    claim = (f"{rel.name}: the given {model} model ({neurons} hidden neurons, {act}) has "
             f"sup |r − {model}| ≤ {eps:g}")
    verdict = outcome.result
    report = ClaimReport(claim, [outcome], verdict, "standard", seed, device,
                         {"eps": eps, "activation": act}, started_at=started)
    if out is not None:
        report.write_report(directory=new_report_dir(out, seed))  # one case: written at once
    return report


__all__ = ["CERTIFY", "certify_layers", "certify_model", "resolve_networks"]

r"""The user's own claim, from Python: a relation from text, a check, a bound, a certificate.

Four uses, each returning the :class:`~verify.core.result.Result` objects a report holds (in a
:class:`ClaimReport`, which can write report.json / .md / .html):

* :func:`relation` / :func:`kernel` -- a relation from text (the whitelist parser of
  :mod:`verify.relations.parse`: nothing is evaluated as code), from a scikit-learn kernel, or
  from a plain callable;
* :func:`check` -- "some inner-product model of MLPs within this budget reaches sup error ε on
  r": the checks of the ``symmetric-pd`` theorem (symmetry, positive-definiteness with Weyl's
  bound, Eckart–Young–Mirsky rank bound, witness) or of ``asymmetric`` (continuity, rank bound,
  witness), run by :func:`verify.core.runner.run_case` on one instance built here;
* :func:`check_bound` -- a neuron-count bound :math:`N(\varepsilon)` on any relation, through the
  ``neuron-bounds`` theorem's ``stated-bound`` check;
* :func:`certify_model` -- :math:`\sup_{X\times Y} |r(x,y) - \langle\phi(x),\psi(y)\rangle| \le
  \varepsilon` for given torch networks (branch and bound, :func:`verify.certify.certify_sup`).

The claim's verdict (:attr:`ClaimReport.verdict`): ``confirmed`` only when every claimed part is;
``refuted`` when one is refuted; ``not-applicable`` when a hypothesis of the theorem fails (the
witness is then not run, and the failing check is named); else ``inconclusive``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from verify.checks.approximation import Budget
from verify.core.context import derive_seed
from verify.core.profiles import get_profile
from verify.core.registry import get_theorem
from verify.core.result import Result
from verify.core.runner import CaseOutcome, run_case
from verify.core.status import Status, Strength
from verify.core.theorem import Instance, Theorem
from verify.relations.base import Relation
from verify.relations.domain import Box
from verify.relations.text import parse_relation, relation_spec

INSTANCE_ID = "user"
_ORDER = [Status.REFUTED, Status.NOT_APPLICABLE, Status.ERROR, Status.INCONCLUSIVE]


def relation(text: str, domain: Box | str, y_domain: Box | str | None = None, *,
             params: dict[str, float] | None = None, name: str | None = None) -> Relation:
    """A symbolic relation from text, e.g. ``relation("1/(1+(x-y)**2)", "[-1,1]")``."""
    return parse_relation(text, domain, y_domain, params=params, name=name)


def kernel(obj: Any, domain: Box | str, y_domain: Box | str | None = None) -> Relation:
    """A relation from a scikit-learn kernel (symbolic) or a paired callable (not symbolic)."""
    from verify.relations.sklearn_kernels import relation_from_callable, relation_from_kernel

    if type(obj).__module__.startswith("sklearn."):
        return relation_from_kernel(obj, domain)
    if callable(obj):
        return relation_from_callable(obj, domain, y_domain)
    raise TypeError(f"expected a scikit-learn kernel or a callable, got {type(obj).__name__}")


@dataclass
class ClaimReport:
    """Outcomes of one claim: each check's :class:`Result`, the verdict, and a report writer."""

    claim: str
    outcomes: list[CaseOutcome]
    verdict: Result
    profile: str
    seed: int
    device: str
    options: dict[str, Any] = field(default_factory=dict)
    report_dir: Path | None = None
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(
        timespec="seconds"))

    @property
    def results(self) -> dict[str, Result]:
        """``"theorem::check"`` -> its Result."""
        return {f"{o.theorem.id}::{o.check.name}": o.result for o in self.outcomes}

    @property
    def status(self) -> Status:
        return self.verdict.status

    @property
    def exit_code(self) -> int:
        """0 when the claim is confirmed, else 1."""
        return 0 if self.status == Status.CONFIRMED else 1

    def claim_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "status": self.status.value, "summary": self.verdict.summary,
                "reason": self.verdict.reason, "exit_code": self.exit_code}

    def write_report(self, out: str | Path = "reports", *, directory: Path | None = None) -> Path:
        """Write report.json / .md / .html into a new folder under ``out`` (or into
        ``directory``); return the folder."""
        directory = Path(directory) if directory is not None else new_report_dir(out, self.seed)
        stream = _Stream(directory, self.seed, self.profile, self.device, self.started_at,
                         self.options)
        for o in self.outcomes:
            stream.add(o)
        stream.finish(self)
        return directory


class _Stream:
    """Writes the report after every case (atomically), as ``relverify run`` does, so an
    interrupted check leaves a valid report of what finished; ``directory=None``: no files."""

    def __init__(self, directory: Path | None, seed: int, profile: str, device: str,
                 started_at: str, options: dict[str, Any]) -> None:
        self.directory, self.profile, self.writer = directory, profile, None
        if directory is not None:
            from verify.reports.provenance import provenance
            from verify.reports.record import ReportWriter

            prov = provenance(seed=seed, profile=profile, device=device, started_at=started_at)
            prov["options"] = {k: str(v) for k, v in options.items()}
            self.writer = ReportWriter(directory, prov)

    def add(self, outcome: CaseOutcome) -> CaseOutcome:
        if self.writer is not None:
            self.writer.add_theorem(outcome.theorem, self.profile)
            self.writer.add(outcome)
            self.writer.write(render=False)
        return outcome

    def finish(self, report: ClaimReport) -> None:
        if self.writer is not None:
            self.writer.provenance["claim"] = report.claim_dict()
            self.writer.write(final=True)
            report.report_dir = self.directory


# --------------------------------------------------------------------------------- running
def new_report_dir(out: str | Path, seed: int) -> Path:
    """A new, empty report folder ``out/<UTC time>-<seed>`` (as ``relverify run``), created
    atomically; a suffix when the name is taken (never reused)."""
    from verify.core.session import report_dir_name
    from verify.reports.atomic import create_report_dir

    return create_report_dir(Path(out), report_dir_name(seed))


def _instance_theorem(theorem_id: str, params: dict[str, Any], checks: list[str],
                      description: str) -> tuple[Theorem, Instance]:
    """A copy of a registered theorem holding only the user's instance (expects: confirmed)."""
    base = get_theorem(theorem_id)
    inst = Instance(INSTANCE_ID, params, dict.fromkeys(checks, "confirmed"), description)
    return replace(base, instances=[inst], option_instances=None), inst


def _run(theorem: Theorem, inst: Instance, check: str, *, profile: str, seed: int, device: str,
         artifact_root: Path | None, progress: Callable[[str], None] | None,
         on_case: Callable[[str], None] | None = None) -> CaseOutcome:
    if on_case is not None:
        on_case(f"{theorem.id}::{inst.id}::{check}")
    return run_case(theorem, inst, theorem.checks[check], Status.CONFIRMED,
                    profile=get_profile(profile), run_seed=seed, device=device,
                    artifact_root=artifact_root, progress=progress)


def _skipped(theorem: Theorem, inst: Instance, check: str, seed: int, because: CaseOutcome,
             hypothesis: str) -> CaseOutcome:
    """The claim is not run because ``because`` showed a hypothesis of the theorem fails."""
    res = Result.not_applicable(
        f"not run: the hypothesis '{hypothesis}' fails ({because.check.name}: "
        f"{because.result.summary})", because.result.strength,
        failed_check=because.case_id, failed_evidence=because.result.evidence,
    ).because(f"hypothesis:{hypothesis}", because.result.strength_kind or Strength.NONE)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return CaseOutcome(theorem, inst, theorem.checks[check], Status.CONFIRMED, res,
                       derive_seed(seed, theorem.id, inst.id, check), 0.0, started)


def default_budget(rel: Relation, eps: float, *, symmetric: bool, neurons: int | None = None,
                   width: int | None = None, depth: int = 1, features: int | None = None,
                   activation: str = "tanh", seed: int = 0) -> Budget:
    """The model the claim allows. ``neurons`` counts every hidden neuron (φ and ψ): width =
    neurons / depth (symmetric) or neurons / (2·depth). Default feature dimension (ours):
    ``min(width, max(8, ⌈2.5·m_min⌉))`` with ``m_min`` the rank lower bound for ε."""
    from verify.spectra.lower_bounds import min_rank_for

    _positive_int(depth, "depth")
    if width is None:
        _positive_int(neurons, "neurons")
        width = neurons // (depth * (1 if symmetric else 2))
        if width < 1:
            raise ValueError(f"{neurons} neurons are fewer than one per layer (depth {depth}"
                             f"{'' if symmetric else ', two networks φ and ψ'})")
    _positive_int(width, "width")
    if features is None:
        m_min = min_rank_for(rel, eps, seed=seed, optimise=False).m_min
        features = min(width, max(8, math.ceil(2.5 * m_min)))
    _positive_int(features, "features")
    from verify.models.mlp import ACTIVATIONS

    if activation not in ACTIVATIONS or activation == "linear":
        raise ValueError(f"unknown activation {activation!r}; expected tanh, sigmoid, softplus "
                         "or relu")
    return Budget(width=int(width), depth=int(depth), feature_dim=int(features),
                  activation=activation)


def _positive_int(v: Any, what: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"{what} must be a positive integer, got {v!r}")


def _positive_eps(eps: Any) -> float:
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be a number, got {eps!r}") from None
    if not (math.isfinite(e) and e > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    return e


def _verdict(parts: list[CaseOutcome], claim: str) -> Result:
    """The claim's verdict from the outcomes of its claimed parts (module docstring)."""
    for status in _ORDER:
        bad = [o for o in parts if o.result.status == status]
        if bad:
            o = bad[0]
            res = Result(status, f"{o.check.name}: {o.result.summary}",
                         {"case": o.case_id}, o.result.strength)
            if status in (Status.REFUTED, Status.NOT_APPLICABLE):
                res.because(o.result.reason or _reason_from(o.result), o.result.strength_kind)
            return res
    res = Result.confirmed("; ".join(
        f"{o.check.name}: {o.result.summary}" for o in parts), parts[0].result.strength)
    res.strength_kind = parts[0].result.strength_kind
    return res


def _reason_from(result: Result) -> str:
    """A reason code for a result its check gave none (read from its strength text)."""
    text = result.strength.lower()
    if result.status == Status.NOT_APPLICABLE:
        return "hypothesis"
    if "weyl" in text:
        return "weyl-lower-bound"
    if "eckart" in text:
        return "rank-lower-bound"
    return "counterexample"


def box_text(box: Box) -> str:
    """``[-1, 1]``, ``[-1, 1]^2`` or ``[0, 1]x[-2, 2]``."""
    parts = [f"[{a:g}, {b:g}]" for a, b in zip(box.lo, box.hi)]
    return parts[0] + (f"^{box.dim}" if box.dim > 1 else "") if len(set(parts)) == 1 \
        else "x".join(parts)


def check(rel: Relation, eps: float, *, neurons: int | None = None, width: int | None = None,
          depth: int = 1, features: int | None = None, activation: str = "tanh",
          asymmetric: bool = False, bound: str | None = None, profile: str = "standard",
          seed: int = 0, device: str = "cpu", out: str | Path | None = None,
          progress: Callable[[str], None] | None = None,
          on_case: Callable[[str], None] | None = None) -> ClaimReport:
    """Check "a model within the budget reaches sup error ≤ ε on ``rel``" (and/or ``bound``).

    Give the budget as ``neurons`` or ``width`` (+ ``depth``, ``features``); ``bound`` (a
    formula of :mod:`verify.bounds.statement`, e.g. ``"8*log(1/eps)"``) adds the bound's
    verdict; at least one of the two is needed. ``out``: write the report there; ``progress``
    gets the checks' messages, ``on_case`` the id of each case as it starts.
    """
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    eps = _positive_eps(eps)
    get_profile(profile)
    if neurons is None and width is None and bound is None:
        raise ValueError("give a budget (neurons or width) or a bound to check")
    symmetric = not asymmetric
    budget = None
    if neurons is not None or width is not None:
        budget = default_budget(rel, eps, symmetric=symmetric, neurons=neurons, width=width,
                                depth=depth, features=features, activation=activation,
                                seed=seed)
    bound_inst = None
    if bound is not None:
        from verify.bounds import parse_bound

        parse_bound(bound)  # a bad formula is bad input, before any work
        spec = relation_spec(rel)  # the sweep tasks carry the expression, not a name
        bound_thm, bound_inst = _instance_theorem(
            "neuron-bounds", {"relation": spec, "eps": eps, "bound": bound}, ["stated-bound"],
            f"your claim: N(eps) = {bound} hidden neurons reach eps = {eps:g} on {rel.name}")
    directory = None if out is None else new_report_dir(out, seed)
    options = {"eps": eps, "bound": bound, "asymmetric": asymmetric,
               "budget": None if budget is None else budget.__dict__}
    stream = _Stream(directory, seed, profile, device, started, options)
    run = dict(profile=profile, seed=seed, device=device, progress=progress, on_case=on_case,
               artifact_root=None if directory is None else directory / "artifacts")
    params = {"relation": rel, "eps": eps, "budget": budget,
              "claimed_features": None if budget is None
              else budget.claim(rel, eps, not asymmetric).max_rank}
    cont_thm, cont_inst = _instance_theorem("asymmetric", params, ["continuity"],
                                            f"continuity of {rel.name}")
    outcomes = [stream.add(_run(cont_thm, cont_inst, "continuity", **run))]
    hyp_fail = outcomes[0] if outcomes[0].result.status == Status.NOT_APPLICABLE else None
    hyp_name = "continuous"
    thm_id = "symmetric-pd" if symmetric else "asymmetric"
    structural = ["symmetric", "positive-definite"] if symmetric else []
    checks = structural + (["rank-lower-bound", "witness"] if budget is not None else [])
    parts: list[CaseOutcome] = []
    if checks:
        desc = (f"your claim: a {'<φ(x),φ(y)>' if symmetric else '<φ(x),ψ(y)>'} model of "
                f"width {budget.width}, depth {budget.depth}, {budget.feature_dim} features "
                f"({budget.activation}) reaches sup error ≤ {eps:g} on {rel.name}" if budget
                else f"hypotheses of the {thm_id} theorem for {rel.name}")
        thm, inst = _instance_theorem(thm_id, params, checks, desc)
        for name in checks:  # PD needs r on X×X, the witness every hypothesis
            if hyp_fail is not None and (name == "witness" or (
                    name == "positive-definite" and rel.x_box != rel.y_box)):
                outcomes.append(stream.add(_skipped(thm, inst, name, seed, hyp_fail, hyp_name)))
            else:
                outcomes.append(stream.add(_run(thm, inst, name, **run)))
                if name == "symmetric" and outcomes[-1].result.status == Status.REFUTED \
                        and hyp_fail is None:
                    hyp_fail, hyp_name = outcomes[-1], "symmetric"
            if name == "witness":
                parts.append(outcomes[-1])
    if bound_inst is not None:
        outcomes.append(stream.add(_run(bound_thm, bound_inst, "stated-bound", **run)))
        parts.append(outcomes[-1])
    claim = " and ".join(p for p in (
        f"a model with {budget.width * budget.depth * (1 if symmetric else 2)} hidden neurons "
        f"(width {budget.width}, depth {budget.depth}, {budget.feature_dim} features, "
        f"{budget.activation}) reaches sup |r − <φ,{'φ' if symmetric else 'ψ'}>| ≤ {eps:g}"
        if budget else "", f"N(eps) = {bound} neurons suffice" if bound else "") if p)
    report = ClaimReport(f"{rel.name} on {box_text(rel.x_box)} × {box_text(rel.y_box)}: {claim}",
                         outcomes, _verdict(parts, claim), profile, seed, device, options,
                         started_at=started)
    stream.finish(report)
    return report


def check_bound(rel: Relation, bound: str, eps: float, **kwargs: Any) -> ClaimReport:
    """Check a neuron-count bound ``N(eps)`` on ``rel`` (see :func:`check`)."""
    return check(rel, eps, bound=bound, **kwargs)


__all__ = ["Budget", "ClaimReport", "check", "check_bound", "default_budget", "kernel",
           "new_report_dir", "relation"]

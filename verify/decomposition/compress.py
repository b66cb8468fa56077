r"""Compressed witnesses: truncate every layer of a certified model to rank r and re-certify.

For an inner-product model :math:`\langle\phi(x), \psi(y)\rangle` and a per-layer rank ``r``,
every weight matrix is replaced by its truncated SVD :math:`W_{\min(r, \operatorname{rank} W)}`
(biases kept) and :math:`\sup |r(x,y) - \langle\tilde\phi(x),\tilde\psi(y)\rangle|` is
certified over the whole box by branch and bound (:func:`verify.certify.certify_sup`): a
rigorous upper bound (``certified`` when ≤ ε) and a rigorous lower bound at a point
(``refuted`` when > ε). A rank-r layer :math:`W_r = (U_r\Sigma_r)V_r^\top` is a width-r
bottleneck (a linear layer of r neurons), so the smallest certified r is a neuron count (ours).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verify.decomposition.svd import Layers, truncate_layers


def certify_compressed(relation, phi: Layers, psi: Layers | None, activation: str, *,
                       eps: float, symmetric: bool, seed: int, max_leaves: int):
    """The one call into the certifier for a given (truncated) layer list: certification of a
    fixed network, not the claim pipeline's train-then-certify chain (:mod:`verify.claims`).

    Budgets count leaves; the wall-clock limit is only a safety net far above them."""
    from verify.certify import certify_sup

    return certify_sup(relation, phi, psi, activation, eps=eps, symmetric=symmetric, seed=seed,
                       max_leaves=max_leaves, time_budget_s=3600.0, n_samples=1024)


@dataclass
class RankRow:
    """One rank of the scan: the certificate's status and bounds."""

    r: int
    status: str
    lower: float
    upper: float
    leaves: int
    lower_point: list[float] | None = None
    method: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class RankScan:
    """Ranks 1, 2, ... up to the first certified one (or the full rank)."""

    witness: str
    eps: float
    full_rank: int
    rows: list[RankRow] = field(default_factory=list)

    @property
    def smallest_certified(self) -> int | None:
        return next((row.r for row in self.rows if row.status == "certified"), None)

    @property
    def undecided_below(self) -> list[int]:
        best = self.smallest_certified
        return [row.r for row in self.rows if row.status == "undecided"
                and (best is None or row.r < best)]

    def to_dict(self) -> dict:
        return {"witness": self.witness, "eps": self.eps, "full_rank": self.full_rank,
                "smallest_certified_rank": self.smallest_certified,
                "undecided_below": self.undecided_below,
                "rows": [row.to_dict() for row in self.rows]}


def full_rank(phi: Layers, psi: Layers | None) -> int:
    """The largest rank any layer can have (beyond it truncation changes nothing)."""
    return max(min(W.shape) for W, _ in list(phi) + list(psi or []))


def rank_scan(witness: str, relation, phi: Layers, psi: Layers | None, activation: str, *,
              eps: float, symmetric: bool, seed: int, max_leaves: int,
              ranks: list[int] | None = None) -> RankScan:
    """Certify the rank-r compression for r = 1, 2, ... (or ``ranks``), stopping at the first
    certified rank: every smaller rank is then refuted (a rigorous point) or undecided."""
    top = full_rank(phi, psi)
    scan = RankScan(witness, float(eps), top)
    for r in ranks or range(1, top + 1):
        cert = certify_compressed(relation, truncate_layers(phi, r),
                                  None if psi is None else truncate_layers(psi, r), activation,
                                  eps=eps, symmetric=symmetric, seed=seed, max_leaves=max_leaves)
        scan.rows.append(RankRow(r, cert.status, float(cert.lower), float(cert.upper),
                                 int(cert.leaves), cert.lower_point, cert.method))
        if cert.status == "certified":
            break
    return scan


def markdown_table(scans: list[RankScan]) -> str:
    """The compressed-witness table: witness, ε, full rank, smallest certified rank and its
    certified bound, and the rank just below it; a scan with no certified rank says whether its
    ranks were refuted or left undecided (with the best upper bound)."""
    lines = ["| witness | ε | full rank | smallest certified rank r* | sup bound at r* "
             "| rank r* − 1 |", "|---|---|---|---|---|---|"]
    for s in scans:
        best = s.smallest_certified
        row = next((x for x in s.rows if x.r == best), None)
        prev = next((x for x in s.rows if best is not None and x.r == best - 1), None)
        if row is not None:
            r_star, at = str(best), f"≤ {row.upper:.5g} (certified)"
        else:
            tested = ", ".join(str(x.r) for x in s.rows) or "none"
            undecided = [x for x in s.rows if x.status == "undecided"]
            r_star = (f"undecided (r = {', '.join(str(x.r) for x in undecided)})" if undecided
                      else f"none certified (r = {tested} refuted)")
            at = (f"best upper {min(x.upper for x in s.rows):.4g}, lower "
                  f"{max(x.lower for x in s.rows):.4g}" if s.rows else "—")
        below = f"{prev.status}: lower {prev.lower:.3g}, upper {prev.upper:.3g}" if prev else "—"
        lines.append(f"| {s.witness} | {s.eps:g} | {s.full_rank} | {r_star} | {at} | {below} |")
    return "\n".join(lines)

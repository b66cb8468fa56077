"""``relverify check`` and ``relverify certify``: the user's own claim in one command.

``check EXPR --domain D --eps E (--neurons N | --width W ...)`` runs the checks of the symmetric
(default) or asymmetric (``--asymmetric``) theorem on the relation ``EXPR`` and, with
``--bound``, the verdict on a neuron-count bound; ``certify MODEL --relation EXPR --domain D
--eps E`` certifies a trained network. Both write report.json/md/html under ``--out`` and exit
0 when the claim is confirmed, 1 when it is refuted, not applicable or inconclusive (the summary
says which and why), 2 on bad input (one line on stderr; nothing written). See docs/api.md.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

USER_COMMANDS = ("check", "certify")


def add_user_commands(sub) -> None:
    """Register the ``check`` and ``certify`` subcommands on ``relverify``'s subparsers."""
    chk = sub.add_parser("check", help="check your own relation: does a model within a neuron "
                         "budget reach ε? (and/or a bound N(eps))")
    chk.add_argument("expr", help="relation in x, y (1-D) or x0, x1, ..., y0, y1, ...")
    _domain_args(chk)
    chk.add_argument("--neurons", type=int, help="hidden neurons in all (φ and ψ together)")
    chk.add_argument("--width", type=int, help="hidden width per layer (instead of --neurons)")
    chk.add_argument("--depth", type=int, default=1, help="hidden layers (default 1)")
    chk.add_argument("--features", type=int, help="feature dimension m (default: from the "
                     "rank lower bound)")
    chk.add_argument("--asymmetric", action="store_true", help="<φ(x),ψ(y)> with two networks "
                     "(any continuous r) instead of <φ(x),φ(y)> (symmetric PD r)")
    chk.add_argument("--activation", default="tanh",
                     choices=["tanh", "sigmoid", "softplus", "relu"])
    chk.add_argument("--bound", help="a neuron-count bound N(eps) to judge, e.g. '8*log(1/eps)'")
    chk.add_argument("--profile", default="standard", choices=["quick", "standard", "full"])
    chk.add_argument("--seed", type=int, default=0)
    chk.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    chk.add_argument("--out", default="reports", help="parent folder of the report (reports/)")
    cert = sub.add_parser("certify", help="certify a trained network against a relation: "
                          "sup |r − <φ,ψ>| ≤ ε, or the point where it fails")
    cert.add_argument("model", help="φ: state dict (torch.save; sidecar MODEL.json or --arch) "
                      "or a relverify witness.json")
    cert.add_argument("--relation", required=True, help="the relation r, as for check")
    _domain_args(cert)
    cert.add_argument("--psi", help="ψ (same formats as MODEL); default ψ = φ")
    cert.add_argument("--arch", help="φ's layers, e.g. Linear,Tanh,Linear (else MODEL.json)")
    cert.add_argument("--psi-arch", help="ψ's layers (else PSI.json)")
    cert.add_argument("--budget", type=float, default=60.0,
                      help="certifier time budget in seconds (default 60)")
    cert.add_argument("--seed", type=int, default=0)
    cert.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"],
                      help="where the enclosures run (cuda: the torch backend on the GPU)")
    cert.add_argument("--out", default="reports", help="parent folder of the report (reports/)")


def _domain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--domain", required=True, help="X: [-1,1], [-1,1]^2 or [0,1]x[-2,2]")
    p.add_argument("--y-domain", help="Y when it differs from X (asymmetric relations)")
    p.add_argument("--eps", required=True, help="the target sup error ε > 0")


def _eps(text: str) -> float:
    try:
        eps = float(text)
    except ValueError:
        raise ValueError(f"--eps {text!r} is not a number") from None
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"--eps must be a finite number > 0, got {text!r}")
    return eps


def _relation(expr: str, args: argparse.Namespace):
    from verify.api import relation

    rel = relation(expr, args.domain, args.y_domain)
    X = np.vstack([rel.x_box.grid(5 if rel.dx <= 2 else 2), rel.x_box.center[None]])
    Y = np.vstack([rel.y_box.grid(5 if rel.dy <= 2 else 2), rel.y_box.center[None]])
    K = rel.gram(X, Y)
    bad = np.argwhere(~np.isfinite(K))
    if bad.size:
        i, j = bad[0]
        raise ValueError(f"relation {expr!r} is not finite on the domain: r({X[i].tolist()}, "
                         f"{Y[j].tolist()}) = {K[i, j]}")
    return rel


def run_user_command(args: argparse.Namespace) -> int:
    """Dispatch ``check`` / ``certify``; bad input raises :class:`verify.usage.UsageError`."""
    from verify.usage import UsageError

    try:
        if args.command == "check":
            return _check(args, UsageError)
        return _certify(args, UsageError)
    except ValueError as exc:  # ParseError, ModelError, UnsupportedKernel, bad numbers
        raise UsageError(str(exc).splitlines()[0]) from None


def _progress(case: str) -> None:
    print(f"relverify: running {case}", file=sys.stderr, flush=True)


def _check(args: argparse.Namespace, UsageError) -> int:
    from verify.api import check, default_budget
    from verify.bounds import parse_bound
    from verify.core.context import resolve_device

    eps = _eps(args.eps)
    rel = _relation(args.expr, args)
    device = resolve_device(args.device)
    if args.neurons is None and args.width is None and args.bound is None:
        raise UsageError("give --neurons N or --width W (the model's budget), or --bound")
    if args.neurons is not None and args.width is not None:
        raise UsageError("give --neurons or --width, not both")
    if args.bound is not None:
        parse_bound(args.bound)
    if args.neurons is not None or args.width is not None:  # validate the budget up front
        features = 1 if args.features is None else args.features
        default_budget(rel, eps, symmetric=not args.asymmetric, neurons=args.neurons,
                       width=args.width, depth=args.depth, features=features,
                       activation=args.activation)
    report = check(rel, eps, neurons=args.neurons, width=args.width, depth=args.depth,
                   features=args.features, activation=args.activation,
                   asymmetric=args.asymmetric, bound=args.bound, profile=args.profile,
                   seed=args.seed, device=device, out=args.out, on_case=_progress)
    return _print(report)


def _certify(args: argparse.Namespace, UsageError) -> int:
    from verify.api_certify import certify_model
    from verify.core.context import resolve_device

    eps = _eps(args.eps)
    device = resolve_device(args.device)
    rel = _relation(args.relation, args)
    if not (math.isfinite(args.budget) and args.budget > 0):
        raise UsageError(f"--budget must be a positive number of seconds, got {args.budget}")
    report = certify_model(rel, args.model, args.psi, eps=eps, seed=args.seed,
                     time_budget_s=args.budget, out=args.out, arch=args.arch,
                     psi_arch=args.psi_arch, device=device)
    return _print(report)


def _print(report) -> int:
    """Plain text (never markup): each check's status and summary, then the claim's verdict."""
    for o in report.outcomes:
        print(f"  {o.result.status.value:<15} {o.case_id}: {o.result.summary}")
    v = report.verdict
    reason = f" [{v.reason}]" if v.reason else ""
    print(f"claim: {report.claim}")
    print(f"verdict: {v.status.value}{reason}: {v.summary}")
    if v.strength:
        print(f"strength: {v.strength}")
    if report.report_dir is not None:
        print(f"report: {report.report_dir}/report.json, report.md, report.html")
    return report.exit_code


__all__ = ["USER_COMMANDS", "add_user_commands", "run_user_command"]

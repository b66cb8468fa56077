"""The ``relverify`` command: list theorems, run them into a report, show a saved report.

Exit codes: 0 when every outcome matches its instance's expectation (a negative control that is
refuted matches), 1 when any outcome differs or a check errs, 2 for bad usage or bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

STATUS_STYLE = {
    "confirmed": "green",
    "refuted": "red",
    "inconclusive": "yellow",
    "not-applicable": "blue",
    "error": "bold white on red",
}


class UsageError(Exception):
    """Bad usage or bad input: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 with usage; we keep 2, print one line
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="relverify", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list registered theorems: id, title, source, checks")
    run = sub.add_parser("run", help="run theorems and write a report (no ids: all)")
    run.add_argument("ids", nargs="*", help="theorem ids (default: every registered theorem)")
    run.add_argument("--profile", default="standard", choices=["quick", "standard", "full"])
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    run.add_argument("--out", default="reports", help="parent folder of the report (reports/)")
    run.add_argument("--no-progress", action="store_true", help="no live progress display")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="option passed to the checks (e.g. --set bound='4*log(1/eps)'); "
                          "each theorem documents the keys it reads")
    show = sub.add_parser("show", help="summarise a saved report (folder or report.json)")
    show.add_argument("report")
    from verify.cli_user import add_user_commands

    add_user_commands(sub)  # check, certify: the user's own claim (verify/cli_user.py)
    return parser


def _out() -> Console:
    """Console for results: the terminal's width, or 160 columns when piped to a file."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=True)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return cmd_list()
        if args.command == "run":
            return cmd_run(args, console)
        if args.command in ("check", "certify"):
            from verify.cli_user import run_user_command

            return run_user_command(args)
        return cmd_show(args)
    except UsageError as exc:
        print(f"relverify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("relverify: interrupted (the report written so far is complete up to the last "
              "finished check)", file=sys.stderr)
        return 130


def cmd_list() -> int:
    from verify.core.registry import all_theorems

    table = Table(title="registered theorems")
    for col in ("id", "title", "source", "checks", "instances"):
        table.add_column(col, overflow="fold")
    for t in all_theorems():
        controls = sum(1 for i in t.instances if i.control)
        table.add_row(t.id, t.title, str(t.source), ", ".join(t.checks),
                      f"{len(t.instances) - controls} + {controls} controls")
    _out().print(table)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from verify.core.context import resolve_device
    from verify.core.registry import UnknownTheoremError, all_theorems, get_theorem
    from verify.core.session import report_dir_name, run_theorems

    try:
        theorems = [get_theorem(i) for i in args.ids] if args.ids else all_theorems()
        device = resolve_device(args.device)
    except (UnknownTheoremError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    options = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        options[key.strip()] = value
    try:
        for theorem in theorems:
            theorem.with_options(options)  # e.g. a user's bound: bad input exits 2 here
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    report_dir = Path(args.out) / report_dir_name(args.seed)
    total = sum(len(t.cases(args.profile)) for t in theorems)
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.fields[detail]}"),
        console=console, disable=args.no_progress, transient=True,
    )
    with progress:
        task = progress.add_task("checks", total=total, detail="")

        def on_start(theorem, instance_id, check_name):
            progress.update(task, detail=f"{theorem.id}::{instance_id}::{check_name}")

        def on_message(message: str) -> None:
            progress.update(task, detail=message)

        def on_outcome(outcome):
            progress.advance(task)
            if args.no_progress:
                console.print(f"{outcome.case_id}: {outcome.result.status}")

        outcomes, writer = run_theorems(
            theorems, profile=args.profile, seed=args.seed, device=device,
            report_dir=report_dir, on_start=on_start, on_outcome=on_outcome, progress=on_message,
            options=options,
        )
    print_summary(writer.to_dict(), _out())
    _out().print(f"report: {report_dir}/report.json, report.md, report.html")
    return writer.summary()["exit_code"]


def print_summary(report: dict, console: Console) -> None:
    table = Table(title=f"relverify: profile {report['provenance']['profile']}, "
                        f"seed {report['provenance']['seed']}")
    for col in ("case", "expected", "status", "verdict", "summary"):
        table.add_column(col, overflow="fold")
    for t in report["theorems"]:
        for r in t["results"]:
            style = STATUS_STYLE.get(r["status"], "")
            case = r["case"] + (" (control)" if r["control"] else "")
            verdict = r["verdict"] if r["verdict"] == "match" else f"[bold red]{r['verdict']}"
            table.add_row(case, r["expected"], f"[{style}]{r['status']}", verdict,
                          r["summary"][:160])
    console.print(table)
    s = report["summary"]
    console.print(
        f"{s['cases']} cases ({s['controls']} negative controls): "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["by_status"].items()))
        + " | verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_verdict"].items()))
        + ("" if report["complete"] else " | report INCOMPLETE")
    )


def cmd_show(args: argparse.Namespace) -> int:
    from verify.reports.record import load_report

    try:
        report = load_report(Path(args.report))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    prov = report["provenance"]
    console = _out()
    console.print(
        f"report {args.report}: profile {prov['profile']}, seed {prov['seed']}, commit "
        f"{prov['git'].get('commit')}, started {prov['started_at']}, "
        f"finished {prov.get('finished_at')}"
    )
    print_summary(report, console)
    return report["summary"]["exit_code"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

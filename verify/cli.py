"""The ``relverify`` command: list theorems, run them into a report, show a saved report.

Exit codes: 0 when every outcome matches its instance's expectation (a negative control that is
refuted matches), 1 when any outcome differs or a check errs (or the report is incomplete), 2 for
bad usage or bad input (one line on stderr, never a traceback). Everything printed from a report
or a check (summaries, ids, paths) is printed as plain text, never interpreted as rich markup.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verify.usage import UsageError

STATUS_STYLE = {
    "confirmed": "green",
    "refuted": "red",
    "inconclusive": "yellow",
    "not-applicable": "blue",
    "error": "bold white on red",
}


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
    run.add_argument("--check-timeout", type=float, default=None, metavar="S",
                     help="wall-clock limit of each check in seconds (0: none; default: the "
                          "profile's, generous)")
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


def _one_line(text: str, limit: int = 600) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _os_reason(exc: OSError) -> str:
    """``PATH: reason`` for an OS error (the path the OS names, else the error alone)."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def main(argv: Sequence[str] | None = None) -> int:
    console = Console(stderr=True, highlight=False)
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
        print(f"relverify: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # output path, full disk, read-only filesystem, ...
        print(f"relverify: error: cannot write {_one_line(_os_reason(exc))}", file=sys.stderr)
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
        table.add_row(Text(t.id), Text(t.title), Text(str(t.source)), Text(", ".join(t.checks)),
                      Text(f"{len(t.instances) - controls} + {controls} controls"))
    _out().print(table)
    return 0


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from verify.core.context import resolve_device
    from verify.core.registry import UnknownTheoremError, all_theorems, get_theorem
    from verify.core.session import report_dir_name, run_theorems
    from verify.reports.atomic import create_report_dir

    dupes = sorted({i for i in args.ids if args.ids.count(i) > 1})
    if dupes:
        raise UsageError(f"theorem id given more than once: {', '.join(dupes)}")
    try:
        theorems = [get_theorem(i) for i in args.ids] if args.ids else all_theorems()
        device = resolve_device(args.device)
    except (UnknownTheoremError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    timeout = args.check_timeout
    if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
        raise UsageError(f"--check-timeout must be a finite number of seconds >= 0, got "
                         f"{timeout!r}")
    options = parse_options(args.set, theorems)
    try:
        for theorem in theorems:
            theorem.with_options(options)  # e.g. a user's bound: bad input exits 2 here
    except Exception as exc:  # noqa: BLE001 - a theorem's option hook refusing the input
        what = "" if isinstance(exc, ValueError) else f"{type(exc).__name__}: "
        raise UsageError(f"--set: {what}{exc}") from None
    if not args.out.strip():
        raise UsageError("--out is empty: give the folder that receives the report")
    try:
        report_dir = create_report_dir(Path(args.out), report_dir_name(args.seed))
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise UsageError(f"--out {args.out!r}: {exc}") from None
    total = sum(len(t.cases(args.profile)) for t in theorems)
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TextColumn("{task.fields[detail]}", markup=False),
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
                console.print(f"{outcome.case_id}: {outcome.result.status}", markup=False)

        try:
            outcomes, writer = run_theorems(
                theorems, profile=args.profile, seed=args.seed, device=device,
                report_dir=report_dir, on_start=on_start, on_outcome=on_outcome,
                progress=on_message, options=options, check_timeout_s=timeout,
            )
        except OSError as exc:  # full disk, folder removed or made read-only while running
            raise UsageError(f"cannot write the report in {report_dir}: "
                             f"{_os_reason(exc)}") from None
    print_summary(writer.to_dict(), _out())
    _out().print(f"report: {report_dir}/report.json, report.md, report.html", markup=False,
                 highlight=False)
    return writer.summary()["exit_code"]


def parse_options(items: Sequence[str], theorems) -> dict[str, str]:
    """``--set KEY=VALUE`` items -> dict; every key must be declared by a selected theorem."""
    declared: dict[str, str] = {}
    for theorem in theorems:
        for key in getattr(theorem, "options", {}) or {}:
            declared.setdefault(key, theorem.id)
    known = ", ".join(f"{k} ({declared[k]})" for k in sorted(declared)) or "none"
    options: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        if not key:
            raise UsageError(f"--set {item!r} has an empty key; keys the selected theorems "
                             f"read: {known}")
        if key not in declared:
            raise UsageError(f"--set {key!r}: {_who_reads(key)}; keys the selected theorems "
                             f"read: {known}")
        if key in options and options[key] != value:
            raise UsageError(f"--set {key!r} given twice with different values "
                             f"({options[key]!r} and {value!r})")
        options[key] = value
    return options


def _who_reads(key: str) -> str:
    from verify.core.registry import all_theorems

    readers = [t.id for t in all_theorems() if key in (getattr(t, "options", {}) or {})]
    if readers:
        return f"read only by {', '.join(readers)}, which is not selected"
    return "no theorem reads this key"


def print_summary(report: dict, console: Console) -> None:
    """The report's results as a table; every field is plain text (no markup)."""
    table = Table(title=Text(f"relverify: profile {report['provenance']['profile']}, "
                             f"seed {report['provenance']['seed']}"))
    for col in ("case", "expected", "status", "verdict", "summary"):
        table.add_column(col, overflow="fold")
    for t in report["theorems"]:
        for r in t["results"]:
            style = STATUS_STYLE.get(str(r["status"]), "")
            case = str(r["case"]) + (" (control)" if r["control"] else "")
            verdict = Text(str(r["verdict"]),
                           style="" if r["verdict"] == "match" else "bold red")
            table.add_row(Text(case), Text(str(r["expected"])), Text(str(r["status"]), style=style),
                          verdict, Text(str(r["summary"])[:160]))
    console.print(table)
    s = report["summary"]
    console.print(
        f"{s['cases']} cases ({s['controls']} negative controls): "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["by_status"].items()))
        + " | verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_verdict"].items()))
        + ("" if report["complete"] else " | report INCOMPLETE"),
        markup=False, highlight=False,
    )


def cmd_show(args: argparse.Namespace) -> int:
    from verify.reports.record import load_report, report_exit_code

    try:
        report = load_report(Path(args.report))
    except OSError as exc:
        raise UsageError(f"cannot read report {_os_reason(exc)}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    prov = report["provenance"]
    git = prov.get("git") if isinstance(prov.get("git"), dict) else {}
    console = _out()
    console.print(
        f"report {args.report}: profile {prov['profile']}, seed {prov['seed']}, commit "
        f"{git.get('commit')}, started {prov.get('started_at')}, "
        f"finished {prov.get('finished_at')}",
        markup=False, highlight=False,
    )
    print_summary(report, console)
    return report_exit_code(report)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`orc report` (the run report page) and the machine-readable summary of `orc compile-and-run --format json`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from orc_olive.cli import guards
from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_OK, EXIT_USAGE


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", nargs="+", metavar="MODEL_DIR|MANIFEST", help="a run's output folder or its .manifest.json; two: compare them (A, then B)")
    p.add_argument("-o", "--output", help="the page to write (default: beside the manifest, MODEL.report.html; for two runs: A-vs-B.report.html beside A's)")


def cmd_report(args: argparse.Namespace) -> int:
    from orc_olive.files import write_atomic
    from orc_olive.run.report import ReportError, load, render, report_path

    if len(args.runs) > 2:
        guards.say(f"orc report: give one run, or two to compare (got {len(args.runs)})")
        return EXIT_USAGE
    try:
        loaded = [load(Path(given)) for given in args.runs]
    except ReportError as exc:
        guards.say(f"orc report: {exc}")
        return EXIT_ERRORS
    if args.output:
        target = Path(args.output)
    elif len(loaded) == 1:
        target = report_path(loaded[0][0])
    else:
        a, b = (report_path(path).name.removesuffix(".report.html") for path, _ in loaded)
        target = loaded[0][0].with_name(f"{a}-vs-{b}.report.html")
    if any(target.resolve() == path.resolve() for path, _ in loaded):
        guards.say(f"orc report: {target} is a manifest: give another --output")
        return EXIT_USAGE
    if (code := guards.cannot_write("report", target)) is not None:
        return code
    private = any(path.stat().st_mode & 0o077 == 0 for path, _ in loaded)  # owner-only manifests (secrets): an owner-only page
    write_atomic(target, render(loaded), private=private)
    guards.say(f"wrote {target}")
    return EXIT_OK


def print_run_summary(outcome: Any) -> None:
    """The run's manifest on stdout (what --format json promises), with where its page and manifest are."""
    from orc_olive.run.manifest import read

    # as written (secrets masked): the run's own record, or the manifest in place when the run was skipped
    data: dict[str, Any] = (read(outcome.record) if outcome.record is not None else None) or dict(outcome.data or {})
    if not data:
        data = {"status": "dry run" if outcome.message == "dry run" else "not run", "cause": "" if outcome.exit_code == 0 else outcome.message}
    if outcome.paths is not None:
        data.setdefault("manifest", str(outcome.paths.manifest))
    data["report"] = str(outcome.report) if outcome.report is not None else None
    print(json.dumps(data, indent=2, ensure_ascii=False))


def print_not_run(diagnostics: list[Any]) -> None:
    """--format json when the recipe has errors: nothing ran; the problems as `orc validate --format json` gives them."""
    from orc_olive.output.formats import render

    print(json.dumps({"status": "invalid", "diagnostics": json.loads(render(diagnostics, "json"))}, indent=2, ensure_ascii=False))


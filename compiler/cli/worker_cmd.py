"""`orc worker status|stop`: the warm workers `orc compile-and-run --warm` starts (run/worker.py).

Without --all, the worker of the project of the current folder (the folder holding .git, pyproject.toml,
setup.py or setup.cfg, else the current folder itself): the one `--warm` uses for the recipes there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import ModuleType

from orc_olive.cli.exit_codes import EXIT_ERRORS, EXIT_OK


def add_worker_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["status", "stop"], help="status: say whether it runs and what it did; stop: stop it (a run in progress goes on)")
    p.add_argument("--all", action="store_true", help="every warm worker of this user, not only the current project's")


def count(text: str) -> int:
    """An argument that counts things: 0 or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more (got {text!r})")
    return value


def keep_outputs(args: argparse.Namespace) -> int:
    """How many replaced models compile-and-run keeps (run/store.py): --keep-outputs, else 3 with --warm."""
    keep = getattr(args, "keep_outputs", None)
    return keep if keep is not None else 3 if getattr(args, "warm", False) else 0


def cmd_worker(args: argparse.Namespace) -> int:
    from orc_olive.run import worker_client

    try:
        found = worker_client.workers() if args.all else _this_project(worker_client)
    except worker_client.WorkerUnavailable as exc:
        print(f"orc worker: {exc}")
        return EXIT_ERRORS
    if not any(status for _, status in found):
        where = "of this user" if args.all else f"for {worker_client.project_of(Path.cwd())}"
        print(f"no warm worker {where} (`orc compile-and-run --warm RECIPE` starts one)")
    for path, status in found:
        if status is None:
            if args.all:
                path.unlink(missing_ok=True)  # a stale socket: its worker is gone
            continue
        if args.action == "stop":
            pid = worker_client.stop(path)
            print(f"stopped the warm worker of {status.get('project')} (pid {pid})")
        else:
            print(_describe(status))
    return EXIT_OK


def _this_project(worker_client: ModuleType) -> list[tuple[Path, dict | None]]:
    path = worker_client.socket_path(worker_client.project_of(Path.cwd()))
    return [(path, worker_client.ask(path, {"op": "status"}))]


def _describe(status: dict) -> str:
    up = max(0, int(time.time() - float(status.get("started", time.time()))))
    idle_min = float(status.get("idle_s", 0)) / 60
    return (f"warm worker of {status.get('project')}: pid {status.get('pid')}, up {up // 60} min {up % 60} s, {status.get('runs')} runs,"
            f" {status.get('modules')} modules loaded; it leaves after {idle_min:.0f} min without a run")

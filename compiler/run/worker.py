"""The warm worker (`orc compile-and-run --warm`): Olive, torch and the passes' modules imported once,
each run in a fresh process forked from them.

    python -m orc_olive.run.worker --socket PATH [--idle SECONDS]

orc starts it (worker_client.py), one per user and project, and it leaves after SECONDS without a
request (default 30 minutes), on `orc worker stop`, or on SIGTERM/SIGINT. It listens on a Unix socket
in an owner-only folder. A run request carries the workflow file, the working folder, the environment
and the write end of the pipe orc reads the run's output from (SCM_RIGHTS), so orc streams, masks,
logs and decides exactly as for a cold run (olive_process.py).

Isolation, per run (tests/test_worker.py checks each):
  - a new process: forked from the warm one, which never runs a workflow itself; whatever a run imports
    (a user script, a pass module the warm process had not imported), sets or leaves behind dies with it;
  - the environment is exactly the one orc sent; the working folder is the one orc sent;
  - the environment must equal the one the worker was started with (apart from VOLATILE_ENV), because
    modules read some variables when imported (HF_HUB_OFFLINE, ...): otherwise the worker answers
    "restart" and orc starts a fresh one. So it does when a module the worker imported changed on disk
    (an upgraded package);
  - numpy's global random state is reseeded in each run, as a new process would have it (Python's
    `random` reseeds itself after fork).
A run is two processes: a monitor, which leads a process group of its own (orc signals that group, as
it signals `olive run`'s) and ignores SIGINT/SIGTERM so that it can report the run's exit code, and the
run itself (lean_runner.py), which does not ignore them.

This module imports nothing from orc but the lean runner, so the warm process holds only what runs need.
"""

from __future__ import annotations

import argparse
import array
import gc
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from orc_olive.run import lean_runner

IDLE_S = 1800.0
# Set per run but not compared: they differ between two commands of the same shell and no module reads them on import.
VOLATILE_ENV = frozenset({"_", "PWD", "OLDPWD", "SHLVL", "COLUMNS", "LINES", "TERM", "TERMCAP", "WINDOWID"})
PRELOAD = ("olive.workflows", "olive.common.config_utils", "torch", "transformers", "onnxruntime")
START_CWD = os.getcwd()  # `python -m` put it first on sys.path; a run puts its own folder there, as its own process would
MESSAGE_CAP = 1 << 20  # a request is a workflow path and an environment: far less than this


def comparable_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k not in VOLATILE_ENV}




def send(conn: socket.socket, message: dict[str, Any]) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:  # orc went away: the run goes on, as a cold one does
        pass


def receive(conn: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """One request line and the descriptors that came with it."""
    data, fds = b"", array.array("i")
    while not data.endswith(b"\n") and len(data) < MESSAGE_CAP:
        chunk, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * array.array("i").itemsize))
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        if not chunk:
            break
        data += chunk
    try:
        message = json.loads(data)
    except ValueError:
        message = None
    return (message if isinstance(message, dict) else None), list(fds)


class Worker:
    def __init__(self, socket_path: Path, idle: float, project: str) -> None:
        self.socket_path = socket_path
        self.project = project
        self.idle = idle
        self.env = dict(os.environ)
        self.started = time.time()
        self.runs = 0
        self.stamps: dict[str, int] = {}
        self.listener: socket.socket | None = None
        self.socket_inode = -1

    def bind(self) -> bool:
        """Listen on the socket, taking over a stale one; False when another worker answers there."""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket_path))
        except OSError:
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(self.socket_path))
                return False  # alive: this worker is not needed
            except OSError:
                self.socket_path.unlink(missing_ok=True)  # left by a worker that died
                listener.bind(str(self.socket_path))
            finally:
                probe.close()
        os.chmod(self.socket_path, 0o600)
        self.socket_inode = os.stat(self.socket_path).st_ino
        listener.listen(16)  # requests wait here while the modules load
        self.listener = listener
        return True

    def preload(self, modules: tuple[str, ...] | list[str]) -> None:
        """Import what is not loaded yet; the module stamps (stale()) and the frozen heap follow what was added."""
        modules = [name for name in modules if name not in sys.modules]
        if not modules:
            return
        for name in modules:
            try:
                __import__(name)
            except Exception as exc:  # noqa: BLE001 - the run that needs it fails with Olive's own message
                print(f"orc worker: cannot preload {name}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        self.stamps = module_stamps()
        gc.collect()
        gc.freeze()  # what is loaded now stays out of the collector: forked runs do not copy its pages

    def serve(self) -> None:
        assert self.listener is not None
        self.listener.settimeout(self.idle)
        while True:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                return
            except InterruptedError:
                continue
            with conn:
                conn.settimeout(10.0)  # a request is one line, sent at once
                try:
                    message, fds = receive(conn)
                except OSError:
                    continue
                conn.settimeout(None)
                if self.handle(conn, message, fds) == "stop":
                    return

    def handle(self, conn: socket.socket, message: dict[str, Any] | None, fds: list[int]) -> str:
        try:
            op = (message or {}).get("op")
            if op == "status":
                send(conn, self.status())
            elif op == "stop":
                send(conn, {"stopping": os.getpid()})
                return "stop"
            elif op == "run" and message is not None and len(fds) == 1:
                reason = self.stale(message.get("env"))
                if reason:
                    send(conn, {"restart": reason})
                    return "stop"
                self.preload(pass_modules(message.get("pass_types")))
                self.runs += 1
                fork_run(conn, message, fds[0], self.listener)
            else:
                send(conn, {"error": "not a request this worker knows"})
        finally:
            for fd in fds:
                os.close(fd)
        return ""

    def stale(self, env: Any) -> str:
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            return "the request carried no environment"
        names = lean_runner.changed_names(comparable_env(self.env), comparable_env(env))
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            return f"the environment differs from the worker's ({shown})"
        changed = next((f for f, stamp in self.stamps.items() if _mtime(f) != stamp), None)
        return f"a module it imported changed on disk ({changed})" if changed else ""

    def status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "project": self.project, "python": sys.executable, "started": self.started, "runs": self.runs, "idle_s": self.idle,
                "modules": len(sys.modules)}


def pass_modules(pass_types: Any) -> list[str]:
    """The modules of the workflow's passes, from Olive's own table (olive_config.json)."""
    if not isinstance(pass_types, list) or "olive" not in sys.modules:
        return []
    table_file = Path(sys.modules["olive"].__file__ or "").parent / "olive_config.json"
    try:
        table = json.loads(table_file.read_text()).get("passes", {})
    except (OSError, ValueError):
        return []
    found = [table.get(t, {}).get("module_path", "") for t in pass_types if isinstance(t, str)]
    return [path.rpartition(".")[0] for path in found if path.startswith("olive.passes.")]


def module_stamps() -> dict[str, int]:
    files = {getattr(m, "__file__", None) for m in list(sys.modules.values())}
    return {f: _mtime(f) for f in files if isinstance(f, str)}


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def fork_run(conn: socket.socket, message: dict[str, Any], output_fd: int, listener: socket.socket | None) -> None:
    """Fork the monitor (it forks the run); the worker goes back to listening at once."""
    if os.fork() != 0:
        return
    # the monitor
    try:
        if listener is not None:
            listener.close()
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for signum in (signal.SIGINT, signal.SIGTERM):  # the monitor outlives a signal to report the run's end
            signal.signal(signum, signal.SIG_IGN)
        run_pid = os.fork()
        if run_pid == 0:
            conn.close()  # the monitor answers orc; the run and what it starts must not keep the connection open
            _become_run(message, output_fd)
        os.close(output_fd)  # only the run holds the pipe: orc reads to its end
        send(conn, {"pid": os.getpid()})
        _, status = os.waitpid(run_pid, 0)
        send(conn, {"exit": os.waitstatus_to_exitcode(status)})
    finally:
        os._exit(0)


def _become_run(message: dict[str, Any], output_fd: int) -> None:
    """The run: orc's pipe as stdout/stderr, its folder and environment, the lean runner's code."""
    code = 2
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        lean_runner.enter(str(message["cwd"]), message["env"], START_CWD)
        sys.argv = ["orc_olive.run.lean_runner", str(message["workflow"])]
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
        code = lean_runner.run(str(message["workflow"]))
    except BaseException:  # noqa: BLE001 - printed where orc reads it
        import traceback

        traceback.print_exc()
        code = 1
    lean_runner.finish(code)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m orc_olive.run.worker")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--idle", type=float, default=IDLE_S)
    parser.add_argument("--project", default="")
    args = parser.parse_args(argv)
    for key, value in lean_runner.QUIET_ENV.items():
        os.environ.setdefault(key, value)
    worker = Worker(args.socket, args.idle, args.project)
    if not worker.bind():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    try:
        print(f"orc worker {os.getpid()}: listening on {args.socket}", file=sys.stderr, flush=True)
        worker.preload(PRELOAD)
        worker.serve()
    except SystemExit:
        pass
    finally:
        if worker.listener is not None:
            worker.listener.close()
        try:  # only its own socket: a worker started since may listen at the same path
            if os.stat(args.socket).st_ino == worker.socket_inode:
                args.socket.unlink()
        except OSError:
            pass
        print(f"orc worker {os.getpid()}: stopped after {worker.runs} runs", file=sys.stderr, flush=True)
    os._exit(0)  # the preloaded libraries' teardown takes seconds and serves no one


if __name__ == "__main__":
    main(sys.argv[1:])

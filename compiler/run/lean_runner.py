"""The code run INSIDE the child process of compile-and-run: Olive's Python workflow API on a workflow file.

`python -m orc_olive.run.lean_runner WORKFLOW.json` does what `olive run --config WORKFLOW.json` does
(olive/cli/run.py: load the config file, `olive.workflows.run(config)`) without Olive's CLI: no import of
its whole command tree, no telemetry (off before Olive is imported; Olive's `olive run` still counts an
event and then waits up to 2 s for it at exit), and no interpreter teardown. Olive's log lines, the
trainer's losses and any traceback are written exactly as `olive run` writes them, on stdout/stderr, which
orc reads (olive_process.py); once they are flushed the process leaves with os._exit, skipping the
seconds torch and its threads take to tear down. The workflow file stays the one `olive run --config`
runs: a user can run it by hand.

Exit codes: 0 when Olive returned (orc decides success from the log and the files, as before), 1 after
an exception (its traceback printed as Python prints it), 2 for a bad command line, 130 after SIGINT.
SIGTERM keeps its default action. This module imports nothing from orc, so the child stays lean.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback

QUIET_ENV = {"OLIVE_DISABLE_TELEMETRY": "1", "CI": "1"}
# What orc adds to the environment of every run (telemetry off, the output line by line); HF_HUB_OFFLINE is
# added when nothing needs the hub.
OLIVE_ENV = {**QUIET_ENV, "PYTHONUNBUFFERED": "1"}
# Loaded by a prestarted runner while orc compiles: none of them reads a variable orc may still add (HF_*).
EARLY = ("numpy", "torch", "onnx", "onnxruntime")


def run(config_path: str) -> int:
    """Run the workflow the way `olive run --config` does; the exit code the process should leave with."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    try:
        from olive.common.config_utils import load_config_file
        from olive.workflows import run as olive_run

        olive_run(load_config_file(config_path))
        return 0
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if not isinstance(code, int):
            print(code, file=sys.stderr)
            return 1
        return code
    except KeyboardInterrupt:
        traceback.print_exc()
        return 130
    except BaseException:  # noqa: BLE001 - printed as Python would print it; orc reads the last line
        traceback.print_exc()
        return 1


def finish(code: int) -> None:
    """Flush every output (log handlers, stdout/stderr), then leave at once.

    Olive and its passes close the files they write before the workflow returns; a file object some
    library left open would lose its buffer here (as it may in a normal teardown), and the model check
    that follows the run (model_check.py) would find the model unusable."""
    try:
        logging.shutdown()  # flushes and closes every handler
        # what the interpreter's exit would do for multiprocessing (data loader workers): daemonic children
        # are stopped and the others joined, so none holds orc's pipe open once this process is gone
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            mp_util._exit_function()
    except Exception:  # noqa: BLE001 - leaving must not fail; os._exit follows whatever happened
        pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def changed_names(a: dict[str, str], b: dict[str, str]) -> list[str]:
    """The names of the variables that differ between two environments (never their values: they may be secrets)."""
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def enter(cwd: str, env: dict[str, str], start_cwd: str) -> None:
    """Become the run `python -m` would start in `cwd` with `env` (for a process started elsewhere, in `start_cwd`):
    that folder, exactly that environment, the folder first on sys.path, stdin from /dev/null."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    if sys.path and sys.path[0] == start_cwd:
        sys.path[0] = os.getcwd()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def wait_for_job() -> str | None:
    """`-`: load EARLY, then take the run from one line on stdin (JSON: workflow, cwd, env) and become it:
    its folder, its environment, stdin from /dev/null. None at the end of stdin (orc did not need the run).
    An environment that differs in more than HF_* variables makes the process start afresh with it (exec)."""
    import json

    start_env, start_cwd = dict(os.environ), os.getcwd()
    for name in EARLY:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - the run itself says what is missing, as a cold one would
            pass
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return None
    job = json.loads(line)
    workflow, cwd, env = str(job["workflow"]), str(job["cwd"]), {str(k): str(v) for k, v in job["env"].items()}
    if any(not k.startswith("HF_") for k in changed_names(start_env, env)):
        os.chdir(cwd)
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "orc_olive.run.lean_runner", workflow], env)
    enter(cwd, env, start_cwd)
    return workflow


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        print("usage: python -m orc_olive.run.lean_runner WORKFLOW.json|-", file=sys.stderr)
        finish(2)
    workflow = wait_for_job() if argv[0] == "-" else argv[0]
    finish(run(workflow) if workflow is not None else 0)


if __name__ == "__main__":
    main(sys.argv[1:])

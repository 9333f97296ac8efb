"""orc's exit codes, the same for every command (the table is printed by `orc --help` and in the README)."""

EXIT_OK = 0
EXIT_ERRORS = 1  # problems found in the input; an OS error (a full disk, a read-only place); a missing extra
EXIT_USAGE = 2  # the command line is wrong
EXIT_INTERNAL = 3  # a bug in orc
EXIT_NOT_RUN = 4  # compiled, but nothing was run (AzureML without credentials; compile-and-run without Olive installed)
EXIT_RUN_FAILED = 5  # compile-and-run: the run failed or could not start (a failed step, an unusable model, a locked output)
EXIT_DIFFERENT = 6  # diff --exit-code: the compiled workflows differ
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C); SIGTERM gives 143

TABLE: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success (also: `orc diff` found differences, unless --exit-code)"),
    (EXIT_ERRORS, "problems found in the input (a recipe's errors, or warnings with --strict), or the machine refused (a full disk, a read-only place, a missing extra)"),
    (EXIT_USAGE, "the command line is wrong (unknown option, missing argument, nothing matched)"),
    (EXIT_INTERNAL, "internal error: a bug in orc (please report it)"),
    (EXIT_NOT_RUN, "compiled but not run (AzureML without credentials; compile-and-run without Olive installed)"),
    (EXIT_RUN_FAILED, "compile-and-run: the run failed or could not start (a failed step, no usable model, the output locked by another run)"),
    (EXIT_DIFFERENT, "orc diff --exit-code: the compiled workflows differ"),
    (EXIT_INTERRUPTED, "interrupted by Ctrl-C (143: by SIGTERM)"),
)


def table_text() -> str:
    """The table for --help (plain text)."""
    return "exit codes (every command):\n" + "\n".join(f"  {code:<4} {meaning}" for code, meaning in TABLE)


def table_markdown() -> str:
    """The table for the README."""
    return "| exit code | meaning |\n|---|---|\n" + "\n".join(f"| {code} | {meaning} |" for code, meaning in TABLE) + "\n"


def run_exit(code: int) -> int:
    """The exit code of a run (run/execute.py says 1 for any failure): 5, so that a failed run is told
    apart from a recipe with errors (1); 0, 4, 130 and 143 stay."""
    return EXIT_RUN_FAILED if code == EXIT_ERRORS else code

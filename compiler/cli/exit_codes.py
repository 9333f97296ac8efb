"""orc's exit codes, the same for every command."""

EXIT_OK = 0
EXIT_ERRORS = 1  # problems found in the input; an OS error (a full disk, a read-only place); a missing extra
EXIT_USAGE = 2  # the command line is wrong
EXIT_INTERNAL = 3  # a bug in orc
EXIT_NOT_RUN = 4  # compiled, but nothing was run (AzureML without credentials; compile-and-run without Olive installed)

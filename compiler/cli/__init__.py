"""Stage 10, cli: arguments -> library calls -> exit codes, with the one error handler. Nothing imports it."""

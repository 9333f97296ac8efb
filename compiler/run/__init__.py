"""Stage 9, run: compile-and-run and what follows it.

The Olive process in a staging folder, progress while it runs, the decision of success from the log
and the files (not from Olive's exit code), the manifest and its fingerprint, `orc try`, and AzureML
submission. Imports the shared modules and every stage before it.
"""

"""Stage 1, source: recipe text -> one composed Document (data, the position of every key and value,
the file each value came from, the secrets read from the environment).

YAML loading with marks and limits, the located tree used for composition, `extends:`, variants,
`--set` overrides and `${env:}`/`${var:}` interpolation. Imports only the shared modules (diagnostics,
secrecy); `--set` values are typed by a model the caller passes in, so this stage knows no recipe model.
"""

"""Stage 3, checks: what a valid recipe can still get wrong, found before anything runs.

References and names, the pipeline's model forms, devices and precisions, files and data columns on
disk, literal secrets, and the `olive:` block against Olive's RunConfig schema. Each check yields
located diagnostics and never raises. Imports the shared modules, `source` and `recipe`.
"""

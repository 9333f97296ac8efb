"""Stage 5, olive: the glue to Olive itself.

The compiled workflow checked against the schema of Olive's RunConfig (and, on request, RunConfig
itself), the generator of the pass catalog, reading Olive's log, and when two workflows are equivalent.
Olive is imported only inside the functions that need it. Imports the shared modules and earlier stages.
"""

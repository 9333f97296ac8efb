"""orc: compile short YAML recipes into Microsoft Olive workflows, check them, and run them.

The package's stages, in the order data flows (each imports only the ones before it and the shared
modules `diagnostics`, `codes`, `files`, `secrecy`, `resources` and `catalog`; nothing imports `cli`):

    source    YAML with positions, composition (extends, variants, --set, ${env:}/${var:})
    recipe    the pydantic recipe models, step kinds, pass parameter models, model forms
    checks    references, pipeline order and devices, files and columns, secrets, the olive: block
    render    template context, sandboxed Jinja, the olive: block placed, the AzureML job spec
    olive     Olive glue: RunConfig checks, the catalog generator, log reading, equivalence
    build     one recipe -> Result (the stages above in order), and the files it writes
    output    diagnostics formats, explain, diff, the recipe schema, `orc new`
    importer  Olive configs -> recipes (older layouts too)
    run       compile-and-run: the Olive process, progress, manifest, model check, `orc try`
    cli       arguments -> library calls -> exit codes

The public API is re-exported here and loaded on first use, so `import orc_olive` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = {
    "compile_file": "orc_olive.build.compile",
    "compile_variants": "orc_olive.build.compile",
    "compile_document": "orc_olive.build.compile",
    "Result": "orc_olive.build.compile",
    "write_result": "orc_olive.build.outputs",
    "Diagnostic": "orc_olive.diagnostics",
    "OrcError": "orc_olive.diagnostics",
    "CODES": "orc_olive.codes",
    "import_config": "orc_olive.importer.convert",
    "import_file": "orc_olive.importer.convert",
    "run_workflow": "orc_olive.run.execute",
    "explain_table": "orc_olive.output.explain",
}
_RENAMED = {"explain_table": "table"}
__all__ = [
    "CODES", "Diagnostic", "OrcError", "Result", "__version__", "compile_document", "compile_file", "compile_variants",
    "explain_table", "import_config", "import_file", "run_workflow", "write_result",
]

if TYPE_CHECKING:
    from orc_olive.build.compile import Result, compile_document, compile_file, compile_variants
    from orc_olive.build.outputs import write_result
    from orc_olive.codes import CODES
    from orc_olive.diagnostics import Diagnostic, OrcError
    from orc_olive.importer.convert import import_config, import_file
    from orc_olive.output.explain import table as explain_table
    from orc_olive.run.execute import run_workflow


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'orc_olive' has no attribute {name!r}")
    return getattr(importlib.import_module(_API[name]), _RENAMED.get(name, name))

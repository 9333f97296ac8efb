"""`orc compile-and-run` of one unchanged recipe: "up to date" said before anything is compiled.

run/quick_noop.py decides from the composed recipe and the output's record; when it cannot tell (or
with --force, --dry-run, --format json, --all-variants, several recipes), the full path decides as before.
"""

from __future__ import annotations

import argparse
import sys

from orc_olive.cli.exit_codes import EXIT_OK


def quick_noop(args: argparse.Namespace) -> int | None:
    """EXIT_OK once "up to date" is said, or None to go the full way."""
    if args.force or args.dry_run or getattr(args, "format", "text") == "json" or getattr(args, "all_variants", False):
        return None
    recipes = args.recipe if isinstance(args.recipe, list) else [args.recipe]
    if len(recipes) != 1:
        return None
    from orc_olive.cli.worker_cmd import keep_outputs
    from orc_olive.run.quick_noop import up_to_date

    said = up_to_date(recipes[0], args.set or [], args.variant, keep_outputs(args))
    if said is None:
        return None
    if not args.quiet:
        print(said, file=sys.stderr, flush=True)
    return EXIT_OK

"""What `--help` shows beyond the options: an example for every command, and the exit-code table."""

from __future__ import annotations

from orc_olive.cli.exit_codes import table_text

# command -> examples (shell lines, each with what it does)
EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "validate": [("orc validate recipes/", "every recipe under recipes/, every problem at once"),
                 ("orc validate --format github --ignore short_training recipes/*.yaml", "annotations for a pull request"),
                 ("cat recipe.yaml | orc validate -", "a recipe from standard input")],
    "compile": [("orc compile recipes/tiny-cpu-lora-int4.yaml -o build/workflow.json", "a runnable workflow file"),
                ("orc compile examples/family/travel.yaml --all-variants -o build/", "one file per variant")],
    "compile-and-run": [("orc compile-and-run recipes/tiny-cpu-lora-int4.yaml", "compile, run olive, check the model"),
                        ("orc compile-and-run recipe.yaml --dry-run", "print the olive command only"),
                        ("orc compile-and-run recipe.yaml --warm", "edit, run again: Olive stays loaded, earlier models come back")],
    "explain": [("orc explain examples/family/travel.yaml --variant cuda", "the pipeline as a table"),
                ("orc explain examples/family/travel.yaml --format mermaid", "one flowchart, a subgraph per variant")],
    "diff": [("orc diff examples/family/base.yaml examples/family/phrases.yaml", "two recipes, by field"),
             ("orc diff recipe.yaml --rev HEAD~1 --exit-code", "against the last commit; exit 6 when they differ")],
    "new": [("orc new --from tiny-cpu my-recipe --dir recipes", "write recipes/my-recipe.yaml")],
    "try": [('orc try models/tiny-cpu-lora-int4 --prompt "Where should I go in Paris?"', "stream a generation")],
    "schema": [("orc schema", "write ./schemas/recipe.schema.json"), ("orc schema --check", "fail if it is out of date")],
    "codes": [("orc codes --format json", "every diagnostic code, for tools")],
    "import": [("orc import olive_config.json -o recipe.yaml", "an Olive config as a recipe"),
               ("orc import --check configs/", "round-trip a folder of configs")],
    "passes": [("orc passes -v --format json", "every Olive pass with its parameters")],
    "report": [("orc report models/tiny-cpu-lora-int4", "an HTML page about the run"),
               ("orc report models/run-a models/run-b", "compare two runs")],
    "completion": [('eval "$(orc completion bash)"', "completion in this bash session"),
                   ("orc completion zsh > ~/.zfunc/_orc", "for zsh (with ~/.zfunc on fpath)")],
    "worker": [("orc worker status", "this project's warm worker: running or not, and what it did"),
               ("orc worker stop --all", "stop every warm worker of this user")],
}


def epilog(command: str | None = None) -> str:
    """An --help epilog: the command's examples (or every command's first) and the exit codes."""
    if command is None:
        shown = [(name, lines[0]) for name, lines in EXAMPLES.items()]
        examples = "\n".join(f"  {line:<70} # {what}" for _, (line, what) in shown)
    else:
        examples = "\n".join(f"  {line:<70} # {what}" for line, what in EXAMPLES.get(command, []))
    return (f"examples:\n{examples}\n\n" if examples else "") + table_text()

"""Stage 7, output: what orc shows and generates from compiled recipes.

Diagnostics as text, JSON or GitHub annotations; `orc explain`; `orc diff`; the recipe JSON Schema;
`orc new`. Imports the shared modules and every stage up to `build`.
"""

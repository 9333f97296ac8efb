"""Stage 2, recipe: the recipe format as strict pydantic models, and the facts derived from them.

The models (models.py), the typed step kinds and the Olive pass each becomes (steps.py), pass parameter
models built from the generated catalog (pass_models.py), the model form flowing through the steps
(forms.py), what the `olive:` block may hold (olive_block.py), and Document -> Recipe validation with
located diagnostics (validate.py). Imports the shared modules and `source`.
"""

"""Stage 4, render: a checked Recipe -> the Olive workflow (and the AzureML job spec).

Every decision is made once in the template context (context.py); the sandboxed Jinja templates only
place values with `tojson`; the `olive:` block is then placed as it is. Imports the shared modules,
`source`, `recipe` and `checks`.
"""

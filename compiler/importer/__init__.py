"""Stage 8, importer: Olive workflow configs (current or older layouts) -> recipes that compile back to them.

Older layouts modernised with a note per change (legacy.py), typed recipe parts where they map exactly
(typed.py), comments (comments.py), a deterministic YAML writer, and the conformance check
(check.py). Imports the shared modules and every stage up to `output`.
"""

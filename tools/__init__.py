"""Development tools, not app code: the synthetic HIS-extraction generator (``tools.extraction``).

Only the top floor (``regiozorg``'s management commands), the tests and the benchmarks import
them; no app does (import-linter checks it).
"""

"""The workbook contract and reading it: every tab, header, status and sentence (schema,
messages), turning cells into values (parsing, tables, validate), what a run writes
(changes), hand edits of sync-owned cells (edits), and the layout `init` creates (template).

Pure: no backend, no network, no clock. May import sheetsync.errors and sheetsync.config
(for file locations) and nothing else of the package outside this folder.
"""

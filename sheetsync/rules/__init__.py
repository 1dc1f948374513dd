"""The playbooks' rules, as pure functions over DataFrames: grading, the value classes,
health, the stage timer, the schedule and working days, the task ledger and the summary.

`today` and the rules are arguments; nothing here reads a clock, a file being synced, the
network or a backend. May import sheetsync.workbook, sheetsync.errors and sheetsync.config.
"""

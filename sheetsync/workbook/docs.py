"""The workbook contract's tables in docs/workbook.md, generated from the schema, so the docs
and the code cannot drift (tests/test_docs.py fails when they do).

    python3 -m sheetsync.workbook.docs      # rewrite the generated part of docs/workbook.md
"""

from __future__ import annotations

import re
from pathlib import Path

from sheetsync.workbook.messages import traditional
from sheetsync.workbook.schema import (
    ARCHIVED_ACTIVITIES,
    ARCHIVED_KEYS,
    CLASS_LOG,
    FOLLOWUPS,
    FORECAST_LOG,
    GRADING,
    HISTORY,
    MAIL_LOG,
    MEMORY,
    PEOPLE_COLUMNS,
    STAGE_LOG,
    SYNC_COLUMNS,
    SYNC_LOG,
    TASK_LOG,
    TEAM,
    VALUE_RULES,
)
from sheetsync.workbook.template import default_rows, new_workbook
from sheetsync.workbook.terms import Tab, Term

DOC = Path(__file__).resolve().parents[2] / "docs" / "workbook.md"  # the checkout's docs/
START, END = (
    "<!-- generated from sheetsync/workbook/schema.py: python3 -m sheetsync.workbook.docs -->",
    "<!-- end of generated -->",
)


def _spellings(term: Term) -> str:
    forms = [term.zh, term.en, *term.aliases]
    hant = traditional(term.zh)
    if hant != term.zh:
        forms.append(hant)
    return " · ".join(f"`{f}`" for f in forms)


def _tab(tab: Tab, keys: tuple[str, ...] | None = None) -> list[str]:
    titles = " · ".join(f"`{t}`" for t in tab.titles())
    lines = [f"### {tab.zh} / {tab.en}", "", f"Tab titles accepted: {titles}.", ""]
    if tab.required:
        required = ", ".join(tab.column(k).zh for k in tab.required)
        lines += [f"Required columns: {required}.", ""]
    lines += ["| key | headers accepted (any case, spacing, full-width punctuation) |", "|---|---|"]
    lines += [
        f"| `{c.key}` | {_spellings(c)} |" for c in tab.columns if keys is None or c.key in keys
    ]
    return [*lines, ""]


def render() -> str:
    """The generated part: every tab the sync reads or writes, every header it accepts."""
    people = tuple(c.key for c in PEOPLE_COLUMNS)
    sync = tuple(c.key for c in SYNC_COLUMNS)
    lines = ["## Tabs and headers (generated)", ""]
    lines += ["#### The follow-up tab: people's columns (the sync never writes them)", ""]
    lines += _tab(FOLLOWUPS, people)
    lines += [
        "#### The follow-up tab: sync-owned columns (the only cells of it the sync writes)",
        "",
    ]
    lines += ["| key | headers accepted |", "|---|---|"]
    lines += [f"| `{c.key}` | {_spellings(c)} |" for c in FOLLOWUPS.columns if c.key in sync]
    lines.append("")
    for tab in (
        GRADING,
        TEAM,
        TASK_LOG,
        STAGE_LOG,
        HISTORY,
        CLASS_LOG,
        FORECAST_LOG,
        SYNC_LOG,
        MAIL_LOG,
        MEMORY,
    ):
        lines += _tab(tab)
    lines += [
        "### 历史汇总 / Archive summary (hidden)",
        "",
        "Blocks one under another, each a title row, a header row and rows: 跟进历史, 阶段记录 and "
        "同步日志 (their own headers, above), then these two.",
        "",
    ]
    for tab in (ARCHIVED_ACTIVITIES, ARCHIVED_KEYS):
        lines += [f"#{line}" if line.startswith("### ") else line for line in _tab(tab)]
    lines += _defaults()
    return "\n".join(lines).rstrip() + "\n"


def _table(rows: list[list[object]]) -> list[str]:
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    header, *body = rows
    lines = ["| " + " | ".join(cell(v) for v in header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(cell(v) for v in r) + " |" for r in body), ""]


def _defaults() -> list[str]:
    """The rules tabs as `init` writes them (from config/grading.yaml, config/value_rules.yaml)."""
    content = {t.title: t.rows for t in new_workbook("zh").tabs}
    lines = ["## The rules tabs' defaults (generated)", "", f"### {GRADING.zh}", ""]
    lines += _table(content[GRADING.zh])
    lines += [f"### {VALUE_RULES.zh}", "", "Each small table under its title, as in the tab.", ""]
    rows = default_rows("zh")
    starts = [i for i, r in enumerate(rows) if len(r) == 1]
    for start, end in zip(starts, [*starts[1:], len(rows) + 1], strict=True):
        lines += [f"#### {rows[start][0]}", "", *_table([r for r in rows[start + 1 : end] if r])]
    return lines


def updated(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n\n{render()}\n{END}", text)


def main() -> None:
    DOC.write_text(updated(DOC.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()

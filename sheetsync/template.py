"""What a new workbook holds: every tab of the contract with its headers, the default grade
rules from config/grading.yaml, and the layout from templates/workbook.yaml.

Backend-neutral: a backend turns this into a file or a spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sheetsync.config import PROJECT_ROOT
from sheetsync.schema import FOLLOWUPS, GRADING, SYNC_COLUMNS, TABS_BY_KEY, TEAM

LAYOUT_FILE = PROJECT_ROOT / "templates" / "workbook.yaml"
RULES_FILE = PROJECT_ROOT / "config" / "grading.yaml"


@dataclass
class TabContent:
    title: str
    rows: list[list]
    widths: list[float] = field(default_factory=list)
    sync_columns: list[int] = field(default_factory=list)  # 1-based, header coloured apart


@dataclass
class WorkbookContent:
    tabs: list[TabContent]
    header_fill: str
    sync_header_fill: str


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def new_workbook(locale: str, team: list[list] | None = None,
                 customers: list[list] | None = None) -> WorkbookContent:  # fmt: skip
    """Headers in `locale`; optional team and customer rows (in FOLLOWUPS column order)."""
    layout = _yaml(LAYOUT_FILE)
    widths = layout.get("widths", {})
    body = {
        GRADING.key: _yaml(RULES_FILE)[locale],
        TEAM.key: team or [],
        FOLLOWUPS.key: customers or [],
    }
    sync_keys = {c.key for c in SYNC_COLUMNS}
    tabs = []
    for key in layout["tabs"]:
        tab = TABS_BY_KEY[key]
        header = tab.headers(locale)
        tabs.append(TabContent(
            tab.title(locale),
            [header, *body.get(key, [])] if header else [],
            [widths.get(c.key, layout["default_width"]) for c in tab.columns],
            [i for i, c in enumerate(tab.columns, 1) if tab is FOLLOWUPS and c.key in sync_keys],
        ))  # fmt: skip
    return WorkbookContent(tabs, layout["header_fill"], layout["sync_header_fill"])

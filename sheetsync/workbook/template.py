"""What a new workbook holds: every tab of the contract with its headers, the default grade
rules from config/grading.yaml, and the layout from templates/workbook.yaml.

Backend-neutral: a backend turns this into a file or a spreadsheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sheetsync.resources import config_dir, templates_dir
from sheetsync.workbook.changes import SheetLayout, text_units
from sheetsync.workbook.messages import lang, rows_in_script
from sheetsync.workbook.schema import (
    BUDGET_LEVELS,
    FOLLOWUPS,
    GRADING,
    INTENT_LEVELS,
    MEMORY,
    STAGE_LOG,
    STAGES,
    STATUSES,
    SYNC_COLUMNS,
    TABS_BY_KEY,
    TEAM,
    VALUE_BLOCKS,
    VALUE_RULES,
    Tab,
    term_text,
)
from sheetsync.workbook.terms import Term
from sheetsync.yaml_files import defaults_file

LAYOUT_FILE = templates_dir() / "workbook.yaml"
RULES_FILE = config_dir() / "grading.yaml"
VALUE_RULES_FILE = config_dir() / "value_rules.yaml"


@dataclass
class TabContent:
    title: str
    rows: list[list[Any]]
    widths: list[float] = field(default_factory=list)
    sync_columns: list[int] = field(default_factory=list)  # 1-based, header coloured apart
    choices: dict[int, list[str]] = field(default_factory=dict)  # column -> dropdown values
    row_colours: dict[str, str] = field(default_factory=dict)  # status word -> row fill
    status_column: int = 0
    form: bool = False  # small tables under titles (价值分级), not one table with a header row
    hidden: bool = False  # the sync's memory (同步快照): not a tab people work in
    layout: SheetLayout | None = None  # panes, filter, printing (the follow-up tab)


@dataclass
class WorkbookContent:
    tabs: list[TabContent]
    header_fill: str
    sync_header_fill: str


# The computed columns a salesperson reads first, put right after the customer's name in a
# new workbook (not at column AK). Only there: a sheet people already have keeps its order.
WORK_FIRST = ("status", "next_date", "task")
FROZEN = ("customer_id", "customer")  # kept in view when scrolling right
EVERY_ROW = 1_048_576  # a sheet's last row: a filter over rows added later
MAX_FROZEN = 4  # further right, frozen columns would fill a laptop's screen: header only


def followup_columns(work_first: bool = True) -> list[Term]:
    """The follow-up tab's columns in a new workbook's order."""
    columns = list(FOLLOWUPS.columns)
    if not work_first:
        return columns
    first = [c for c in columns if c.key in WORK_FIRST]
    first.sort(key=lambda c: WORK_FIRST.index(c.key))
    rest = [c for c in columns if c.key not in WORK_FIRST]
    at = [c.key for c in rest].index("customer") + 1
    return [*rest[:at], *first, *rest[at:]]


def followup_layout(
    positions: dict[str, int], width: int, last_row: int, header_row: int = 1
) -> SheetLayout:
    """The follow-up tab as a place to work: the header and, when they are near the left,
    the id and name columns frozen; a filter over the table and every row added to it later
    (a filter over today's rows would leave tomorrow's customers out); printed landscape as
    wide as the page with the header rows on every page. `positions`: column key -> 1-based
    column; `last_row` is no longer needed for the filter and kept for the callers."""
    frozen = max((positions.get(k, 0) for k in FROZEN), default=0)
    return SheetLayout(
        freeze=(header_row, frozen if frozen <= MAX_FROZEN else 0),
        autofilter=(header_row, EVERY_ROW, width),
        landscape=True,
        title_rows=header_row,
    )


def log_layout(tab: Tab) -> SheetLayout:
    """A tab the sync creates and appends to (跟进历史, 预测记录, 阶段记录, 同步日志, 任务记录)
    laid out as init lays out its own: the header frozen, a filter over every row to come,
    and the template's column widths (at the default width a date shows as ###)."""
    layout = defaults_file(LAYOUT_FILE)
    widths = layout.get("widths", {})
    default = layout["default_width"]
    columns = {i: widths.get(c.key, default) for i, c in enumerate(tab.columns, 1)}
    return SheetLayout(widths=columns, freeze=(1, 0), autofilter=(1, EVERY_ROW, len(tab.columns)))


def header_width(header: str) -> float:
    """A column width that shows its header (a 汉字 counts two), 10 to 40 characters."""
    return max(10, min(40, text_units(header) + 4))


def new_workbook(
    locale: str,
    team: list[list[Any]] | None = None,
    customers: list[list[Any]] | None = None,
    history: list[list[Any]] | None = None,
    work_first: bool = True,
) -> WorkbookContent:
    """Headers in `locale`; optional team and customer rows (in FOLLOWUPS column order) and
    stage history rows (the demo's: deals that have been in their stage a while).
    `work_first`: 状态 / 下次跟进日期 / 跟进任务 right after the customer's name."""
    layout = defaults_file(LAYOUT_FILE)
    widths = layout.get("widths", {})
    columns = followup_columns(work_first)
    order = [FOLLOWUPS.columns.index(c) for c in columns]
    width = len(FOLLOWUPS.columns)
    people = [[*r, *[None] * (width - len(r))] for r in customers or []]
    body = {
        GRADING.key: rows_in_script(defaults_file(RULES_FILE)[lang(locale)], locale),
        TEAM.key: team or [],
        FOLLOWUPS.key: [[r[i] for i in order] for r in people],
        STAGE_LOG.key: history or [],
    }
    sync_keys = {c.key for c in SYNC_COLUMNS}
    tabs = []
    for key in layout["tabs"]:
        tab = TABS_BY_KEY[key]
        if tab is FOLLOWUPS:
            tab = replace(tab, columns=tuple(columns))
        header = tab.headers(locale)
        tabs.append(
            TabContent(
                tab.title(locale),
                [header, *body.get(key, [])] if header else [],
                [widths.get(c.key, layout["default_width"]) for c in tab.columns]
                or layout["tab_widths"].get(key, []),
                [
                    i
                    for i, c in enumerate(tab.columns, 1)
                    if tab.key == FOLLOWUPS.key and c.key in sync_keys
                ],
            )
        )
        if tab is VALUE_RULES:
            tabs[-1].rows, tabs[-1].form = default_rows(locale), True
        tabs[-1].hidden = tab is MEMORY
        if tab.key == FOLLOWUPS.key:
            _add_followup_aids(tabs[-1], tab, locale, layout, [r[0] for r in body[GRADING.key]])
            positions = {c.key: i for i, c in enumerate(columns, 1)}
            tabs[-1].layout = followup_layout(positions, len(columns), len(tabs[-1].rows))
    return WorkbookContent(tabs, layout["header_fill"], layout["sync_header_fill"])


def _add_followup_aids(
    content: TabContent, tab: Tab, locale: str, layout: dict[str, Any], grades: list[str]
) -> None:
    """Dropdowns for the fields with allowed values, and overdue / due-today rows coloured."""
    position = {c.key: i for i, c in enumerate(tab.columns, 1)}
    levels = {"intent": INTENT_LEVELS, "budget": BUDGET_LEVELS, "stage": STAGES}
    for key, terms in levels.items():
        ordered = terms if key == "stage" else tuple(reversed(terms))  # highest level first
        content.choices[position[key]] = [t.text(locale) for t in ordered]
    content.choices[position["grade_override"]] = [str(g) for g in grades]
    content.status_column = position["status"]
    content.row_colours = {
        term_text(STATUSES, "overdue", locale): layout["overdue_fill"],
        term_text(STATUSES, "due_today", locale): layout["due_today_fill"],
    }


def default_rows(locale: str, blocks: tuple[Tab, ...] = VALUE_BLOCKS) -> list[list[Any]]:
    """The 价值分级 tab as `init` writes it: each block's title, header and rows (`blocks`:
    only those, for a tab from an older version that lacks them)."""
    defaults = defaults_file(VALUE_RULES_FILE)[lang(locale)]
    rows: list[list[Any]] = []
    for block in blocks:
        rows += [[block.title(locale)], block.headers(locale), *defaults[block.key], []]
    return rows_in_script(rows[:-1], locale)

"""From a tab's raw grid to a DataFrame whose columns are the schema's keys.

Columns are found by header, in Chinese or English, wherever they are; the header row is the
first of the top rows that names the tab's first required column, so a title row above the
table does no harm. Everything here is pure: the grid comes from a backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sheetsync.errors import WorkbookError
from sheetsync.parsing import is_blank, map_unique
from sheetsync.schema import Tab, normalise_header

HEADER_SEARCH_ROWS = 10
ROW = "_row"  # the sheet row number (1-based) each record was read from


@dataclass
class Sheet:
    """One tab as read: its records plus where each column sits, for writing back."""

    tab: Tab
    title: str
    frame: pd.DataFrame
    header_row: int = 1  # 1-based; 0 when the tab is empty
    columns: dict[str, int] = field(default_factory=dict)  # key -> 1-based column
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as people wrote it
    width: int = 0  # last used header column
    locale: str = "zh"

    def label(self, key: str) -> str:
        """The header people see for `key`, for messages."""
        return self.headers.get(key) or self.tab.column(key).text(self.locale)


def _spellings(tab: Tab) -> dict[str, tuple[str, str]]:
    """normalised spelling -> (key, locale it belongs to)."""
    found: dict[str, tuple[str, str]] = {}
    for col in tab.columns:
        for spelling in col.spellings():
            locale = "en" if spelling == col.en else "zh"
            found.setdefault(normalise_header(spelling), (col.key, locale))
    return found


def _find_header_row(grid: list[list], tab: Tab, spellings: dict) -> int:
    anchor = tab.required[0] if tab.required else tab.columns[0].key
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if any(spellings.get(normalise_header(v), ("",))[0] == anchor for v in row):
            return index
    if not any(any(not is_blank(v) for v in row) for row in grid):
        return -1
    wanted = tab.column(anchor)
    raise WorkbookError(f'tab "{tab.zh}": no header row with "{wanted.zh}" / "{wanted.en}"')


def _map_columns(header: list, tab: Tab, spellings: dict) -> tuple[dict, dict, str]:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    votes = {"zh": 0, "en": 0}
    for position, value in enumerate(header, start=1):
        key, locale = spellings.get(normalise_header(value), (None, None))
        if key is None:
            continue
        if key in columns:
            raise WorkbookError(
                f'tab "{tab.zh}": headers "{headers[key]}" and "{value}" are the same column; '
                "rename or delete one"
            )
        columns[key], headers[key] = position, str(value).strip()
        votes[locale] += 1
    return columns, headers, "en" if votes["en"] > votes["zh"] else "zh"


def load_sheet(grid: list[list], tab: Tab, title: str, content: tuple[str, ...] = ()) -> Sheet:
    """Records keyed by column key; rows blank in every `content` column (default: every
    known column) are not records."""
    spellings = _spellings(tab)
    index = _find_header_row(grid, tab, spellings)
    if index < 0:
        empty = pd.DataFrame(columns=[c.key for c in tab.columns] + [ROW], dtype=object)
        return Sheet(tab, title, empty, header_row=0)
    header = grid[index]
    columns, headers, locale = _map_columns(header, tab, spellings)
    missing = [tab.column(k) for k in tab.required if k not in columns]
    if missing:
        names = ", ".join(f'"{c.zh}" / "{c.en}"' for c in missing)
        raise WorkbookError(f'tab "{title}": required column {names} not found in row {index + 1}')
    rows = grid[index + 1 :]
    width = max((len(r) for r in rows), default=0)
    if any(len(r) != width for r in rows):  # the Sheets API trims trailing empty cells
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
    body = pd.DataFrame(rows, dtype=object)
    frame = pd.DataFrame(
        {k: body[c - 1] if c - 1 in body.columns else None for k, c in columns.items()},
        index=body.index, dtype=object,
    )  # fmt: skip
    frame[ROW] = body.index + index + 2
    blank = pd.Series(True, index=frame.index)
    for key in [k for k in content or columns if k in columns]:
        blank &= map_unique(frame[key], is_blank).astype(bool)
    frame = frame[~blank].reset_index(drop=True)
    for col in tab.columns:
        if col.key not in frame:
            frame[col.key] = None
    width = max((i for i, v in enumerate(header, start=1) if not is_blank(v)), default=0)
    return Sheet(tab, title, frame, index + 1, columns, headers, width, locale)


def find_title(titles: list[str], tab: Tab, configured: str | None) -> str | None:
    """The tab's actual title: the configured one, else its Chinese or English name."""
    wanted = [configured] if configured else [tab.zh, tab.en]
    normalised = {normalise_header(w) for w in wanted}
    return next((t for t in titles if normalise_header(t) in normalised), None)


def load_blocks(grid: list[list], blocks: tuple[Tab, ...], title: str) -> dict[str, Sheet]:
    """A tab of small tables, each under a title row naming it (中文 or English): every block
    found, read like a tab of its own, with row numbers as they are in the whole tab."""
    names = {normalise_header(s): b for b in blocks for s in (b.zh, b.en)}
    starts = []
    for number, row in enumerate(grid):
        filled = [v for v in row if not is_blank(v)]
        if len(filled) == 1 and normalise_header(filled[0]) in names:  # a title stands alone
            starts.append((number, names[normalise_header(filled[0])]))
    found: dict[str, Sheet] = {}
    for (start, block), (end, _) in zip(starts, [*starts[1:], (len(grid), None)], strict=True):
        rows = grid[start + 1 : end]
        blank = next((i for i, r in enumerate(rows[1:], 1) if all(is_blank(v) for v in r)), None)
        sheet = load_sheet(rows[:blank], block, title)
        sheet.frame[ROW] += start + 1
        sheet.header_row += start + 1
        found.setdefault(block.key, sheet)
    return found

"""From a tab's raw grid to a DataFrame whose columns are the schema's keys.

Columns are found by header, in Chinese (简体 or 繁體) or English, or the playbooks' synonyms,
or a team's own names mapped under `columns:` in the settings, wherever they are; the header
row is the first of the top rows that names the tab's first required column, so a title row
above the table does no harm. Everything here is pure: the grid comes from a backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import numpy as np
import pandas as pd

from sheetsync.errors import WorkbookError
from sheetsync.workbook.messages import EN, ZH, ZH_HANT, is_traditional, listed, say
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import Tab, normalise_header

HEADER_SEARCH_ROWS = 10
ROW = "_row"  # the sheet row number (1-based) each record was read from

Row = Sequence[object]  # one row of a tab's cells, as a backend read them
Grid = Sequence[Row]  # a tab's cells, row by row (rows may be of different lengths)
Section = list[Row]  # rows a rule lays out (a title, a header, the data), cells of any kind


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
    used_width: int = 0  # last column holding anything, header or not (people's data too)
    header: Row = field(default_factory=list)  # the header row as it is
    beyond: list[tuple[int, int]] = field(default_factory=list)  # (row, column) under no header

    def label(self, key: str) -> str:
        """The header people see for `key`, for messages."""
        return self.headers.get(key) or self.tab.column(key).text(self.locale)


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA: how people name a cell."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def spellings(tab: Tab, renames: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """normalised spelling -> (key, language it belongs to); `renames` maps a team's own
    header (as in the settings' `columns:`) to a key and wins over everything else."""
    found: dict[str, tuple[str, str]] = {}
    for header, key in (renames or {}).items():
        found[normalise_header(header)] = (key, "")
    for col in tab.columns:
        for spelling in col.spellings():
            found.setdefault(
                normalise_header(spelling), (col.key, EN if spelling == col.en else ZH)
            )
    return found


def _find_header_row(grid: Grid, tab: Tab, spelled: dict[str, tuple[str, str]], title: str) -> int:
    anchor = tab.required[0] if tab.required else tab.columns[0].key
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        if any(spelled.get(normalise_header(v), ("",))[0] == anchor for v in row):
            return index
    if not any(any(not is_blank(v) for v in row) for row in grid):
        return -1
    wanted = tab.column(anchor)
    locale = guess_locale(v for row in grid[:HEADER_SEARCH_ROWS] for v in row)
    raise WorkbookError(
        say(
            "no_header_row",
            locale,
            tab=title,
            header=wanted.text(locale),
            other=wanted.text(EN if locale != EN else ZH),
        )
    )


def guess_locale(texts: Iterable[object]) -> str:
    """The language and script of a tab's words: Chinese if any is, 繁體 if any is."""
    words = [str(t) for t in texts if isinstance(t, str) and t.strip()]
    chinese = [w for w in words if any("\u4e00" <= ch <= "\u9fff" for ch in w)]
    if not chinese:
        return EN if words else ZH
    return ZH_HANT if any(is_traditional(w) for w in chinese) else ZH


def _map_columns(
    header: Row, tab: Tab, spelled: dict[str, tuple[str, str]], title: str, row: int
) -> tuple[dict[str, int], dict[str, str], str]:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    votes = {ZH: 0, EN: 0, "": 0}
    for position, value in enumerate(header, start=1):
        spelling = spelled.get(normalise_header(value))
        if spelling is None:
            continue
        key, language = spelling
        if key in columns:
            raise WorkbookError(
                say(
                    "duplicate_header",
                    guess_locale(header),
                    tab=title,
                    first=headers[key],
                    second=str(value).strip(),
                    first_cell=f"{column_letter(columns[key])}{row}",
                    second_cell=f"{column_letter(position)}{row}",
                )
            )
        columns[key], headers[key] = position, str(value).strip()
        votes[language] += 1
    if votes[EN] > votes[ZH]:
        return columns, headers, EN
    return columns, headers, guess_locale(headers.values()) if headers else ZH


def _used_width(rows: Grid) -> int:
    """The last column holding anything: each row is walked back only past the widest so far."""
    width, widest = 0, max(map(len, rows), default=0)
    for row in rows:
        end = len(row)
        while end > width and is_blank(row[end - 1]):
            end -= 1
        if end > width:
            width = end
            if width == widest:
                break  # no row reaches further
    return width


def load_sheet(
    grid: Grid,
    tab: Tab,
    title: str,
    content: tuple[str, ...] = (),
    renames: dict[str, str] | None = None,
) -> Sheet:
    """Records keyed by column key; rows blank in every `content` column (default: every
    known column) are not records. `renames`: a team's own header -> key."""
    spelled = spellings(tab, renames)
    index = _find_header_row(grid, tab, spelled, title)
    if index < 0:
        empty = pd.DataFrame(columns=[c.key for c in tab.columns] + [ROW], dtype=object)
        return Sheet(tab, title, empty, header_row=0)
    header = grid[index]
    columns, headers, locale = _map_columns(header, tab, spelled, title, index + 1)
    missing = [k for k in tab.required if k not in columns]
    if missing:
        raise WorkbookError(missing_columns(tab, title, missing, header, index + 1, locale))
    rows = grid[index + 1 :]
    width = max((len(r) for r in rows), default=0)
    if any(len(r) != width for r in rows):  # the Sheets API trims trailing empty cells
        rows = [list(r) + [None] * (width - len(r)) for r in rows]
    body = pd.DataFrame(rows, dtype=object)
    frame = pd.DataFrame(
        {k: body[c - 1] if c - 1 in body.columns else None for k, c in columns.items()},
        index=body.index,
        dtype=object,
    )
    frame[ROW] = body.index + index + 2
    looked_at = [columns[k] - 1 for k in content or columns if k in columns and columns[k] <= width]
    first, rest = (looked_at[0], looked_at[1:]) if looked_at else (None, [])
    blank = [  # most rows hold their first column (the id): one look
        first is None or (is_blank(row[first]) and all(is_blank(row[i]) for i in rest))
        for row in rows
    ]
    frame = frame[~np.array(blank, dtype=bool)].reset_index(drop=True)
    for col in tab.columns:
        if col.key not in frame:
            frame[col.key] = None
    width = max((i for i, v in enumerate(header, start=1) if not is_blank(v)), default=0)
    used = max(width, _used_width(grid[index:]))
    beyond = _beyond(grid, index, width) if used > width else []
    beyond += outside(grid)
    return Sheet(
        tab, title, frame, index + 1, columns, headers, width, locale, used, header, beyond
    )


def _beyond(grid: Grid, index: int, width: int) -> list[tuple[int, int]]:
    """(row, column) of each value right of the last header, from the header row down: in
    no column the sync reads."""
    return [
        (number, column)
        for number, row in enumerate(grid[index:], start=index + 1)
        if len(row) > width
        for column in range(width + 1, len(row) + 1)
        if not is_blank(row[column - 1])
    ]


def outside(grid: Grid) -> list[tuple[int, int]]:
    """(row, column) of each value the backend read as far from the tab's table (an .xlsx
    cell at XFD1048576: `backends.xlsx_far`), which the grid does not hold."""
    return [(row, column) for row, column, value in getattr(grid, "far", ()) if not is_blank(value)]


def cells_named(cells: list[tuple[int, int]], locale: str, most: int = 5) -> str:
    """A few cells as people name them (XFD1048576), in sheet order, "…" for the rest."""
    names = [f"{column_letter(c)}{r}" for r, c in sorted(cells)[:most]]
    return listed([*names, *(["…"] if len(cells) > most else [])], locale)


def find_title(titles: list[str], tab: Tab, configured: str | None) -> str | None:
    """The tab's actual title: the configured one, else its name in any language or script,
    or a title the playbooks give it (客户跟进记录表)."""
    wanted = [configured] if configured else tab.titles()
    for name in wanted:  # in order: the contract's own name wins over a playbook's
        found = next((t for t in titles if normalise_header(t) == normalise_header(name)), None)
        if found is not None:
            return found
    return None


def closest(name: str, candidates: list[str], cutoff: float = 0.5) -> str | None:
    """The candidate that looks most like `name` (最近跟进日期 ~ 上次跟进日期), if any does."""
    scored = [
        (SequenceMatcher(None, normalise_header(name), normalise_header(c)).ratio(), c)
        for c in candidates
        if not is_blank(c)
    ]
    best = max(scored, default=(0.0, None), key=lambda pair: pair[0])
    return best[1] if best[0] >= cutoff else None


def unmapped(header: Row, columns: dict[str, int]) -> list[str]:
    used = set(columns.values())
    return [str(v).strip() for i, v in enumerate(header, 1) if i not in used and not is_blank(v)]


def missing_columns(
    tab: Tab,
    title: str,
    keys: list[str],
    header: Row,
    row: int,
    locale: str,
    columns: dict[str, int] | None = None,
) -> str:
    """What stops the run when a header it reads is gone, with the header present that looks
    like it: "最近跟进日期" looks like "上次跟进日期": rename it, or map it under `columns:`."""
    free = unmapped(header, columns or {})
    lines = []
    for key in keys:
        term = tab.column(key)
        near = closest(term.text(locale), free) or next(
            (c for s in term.spellings() if (c := closest(s, free))), None
        )
        lines.append(
            say(
                "missing_column_like" if near else "missing_column",
                locale,
                tab=title,
                header=term.text(locale),
                row=row,
                near=near,
                key=key,
            )
        )
    return "; ".join(lines)


def load_blocks(grid: Grid, blocks: tuple[Tab, ...], title: str) -> dict[str, Sheet]:
    """A tab of small tables, each under a title row naming it (中文 or English): every block
    found, read like a tab of its own, with row numbers as they are in the whole tab."""
    names = {normalise_header(s): b for b in blocks for s in (b.zh, b.en)}
    starts = []
    for number, row in enumerate(grid):
        filled = [v for v in row if not is_blank(v)]
        if len(filled) == 1 and normalise_header(filled[0]) in names:  # a title stands alone
            starts.append((number, names[normalise_header(filled[0])]))
    found: dict[str, Sheet] = {}
    ends = [number for number, _ in starts[1:]] + [len(grid)]
    for (start, block), end in zip(starts, ends[: len(starts)], strict=True):  # none: no blocks
        rows = grid[start + 1 : end]
        blank = next((i for i, r in enumerate(rows[1:], 1) if all(is_blank(v) for v in r)), None)
        sheet = load_sheet(rows[:blank], block, title)
        sheet.frame[ROW] += start + 1
        sheet.header_row += start + 1
        found.setdefault(block.key, sheet)
    return found

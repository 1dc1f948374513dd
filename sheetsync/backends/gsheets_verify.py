"""Every value on its customer's row, whatever people do while a sync writes to Google.

People sort, insert and delete rows, and type into the sync's columns, while a sync computes
and while its batchUpdates travel; the Sheets API places cells by position only. Developer
metadata on rows would follow a row as it moves, but Google limits a spreadsheet's metadata
to 30,000 characters: not where 10,000 customers' values go. So a write is watched instead
(`Watch`, one per tab whose cells are placed by customer):

1. At write time each change goes to its customer's current row (`_rematch`), unless a person
   changed that cell since the first read: theirs stays (`Watch.place`), and the next run
   takes it for their edit, as it differs from what 同步快照 says the sync wrote.
2. Before any cell is written, a hidden tab (`PENDING`) records where each value goes: its
   row then, its customer, its value at the first read and the value sent (`Watch.record`).
3. Between the batches of a long write, a tab that changed meanwhile gets the rest of its
   cells from step 4 instead of at positions now stale (`Watch.undisturbed`).
4. After the write the tab is read back: a value of ours on another customer's row is put
   back (that customer's value as it was), ours goes to the right row, a few rounds at most
   (`Watch.repairs`); then the record is deleted.
5. A run that finds the record (the last one stopped before 4) repairs the same way first
   (`Watch.from_record`), so nothing left misplaced is ever taken for a hand edit.

What stays: a person's edit typed in the moment between the write-time read and the
batchUpdate that lands on the same cell is overwritten (nothing tells it apart from ours
afterwards); a row moved twice across the verify (sorted, then sorted again before the read
back) may keep a value of ours, which the next run then takes for an edit.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from openpyxl.utils.datetime import to_excel

from sheetsync.workbook.changes import CellChange, comparable
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import (
    FOLLOWUPS,
    LOCALES,
    MEMORY,
    PEOPLE_COLUMNS,
    SYNC_COLUMNS,
    normalise_header,
)
from sheetsync.workbook.tables import column_letter, load_sheet
from sheetsync.workbook.validate import normalise_id

PENDING = "同步待核对"  # hidden; there only while a write is not verified yet
ROUNDS = 3  # read back and repair at most this many times in one run
DATE_HEADERS = {
    normalise_header(t.text(locale))
    for t in SYNC_COLUMNS
    if t.key in ("next_date", "stage_since")
    for locale in LOCALES
}
PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)

Key = str | tuple


def _cell(grid: list[list], row: int, column: int) -> object:
    cells = grid[row - 1] if 0 < row <= len(grid) else []
    return cells[column - 1] if column <= len(cells) else None


def row_keys(grid: list[list], header_row: int, id_column: int, own: set[int]) -> dict[int, Key]:
    """Row number -> what tells the row apart wherever it moves: its customer id, or for a
    row without a unique one everything people typed in it. Rows told apart by neither are
    left out (nothing can say where they went)."""
    found: dict[int, Key] = {}
    for number in range(header_row + 1, len(grid) + 1):
        row = grid[number - 1]
        cid = normalise_id(row[id_column - 1]) if id_column and id_column <= len(row) else ""
        typed = tuple(
            (i, v) for i, v in enumerate(row, start=1) if i not in own and not is_blank(v)
        )
        if typed:
            found[number] = cid or ("row", typed)
    counts: dict[Key, int] = {}
    for key in found.values():
        counts[key] = counts.get(key, 0) + 1
    ids = {k for k, n in counts.items() if n == 1 and isinstance(k, str)}
    for number, key in list(found.items()):  # a duplicated id: told apart by its row's text
        if isinstance(key, str) and key not in ids:
            row = grid[number - 1]
            found[number] = (
                "row",
                tuple(
                    (i, v) for i, v in enumerate(row, start=1) if i not in own and not is_blank(v)
                ),
            )
    counts = {}
    for key in found.values():
        counts[key] = counts.get(key, 0) + 1
    return {n: k for n, k in found.items() if counts[k] == 1}


@dataclass
class Watch:
    """One tab's placements in one write, and what it takes to check them."""

    title: str
    header_row: int = 0
    id_column: int = 0
    own: set[int] = field(default_factory=set)  # the sync's columns of the tab
    dated: set[int] = field(default_factory=set)  # those holding dates
    then: dict[Key, int] = field(default_factory=dict)  # key -> row at the write-time read
    grid: list[list] = field(default_factory=list)  # the write-time read
    planned: dict[tuple[Key, int], tuple[object, object]] = field(default_factory=dict)
    sent: dict[tuple[int, int], list] = field(default_factory=dict)  # (row, column) -> values
    resting: dict[tuple[Key, int], object] | None = None  # a later run's: what 同步快照 says
    kept: list[tuple[str, str, object]] = field(default_factory=list)  # people's edits kept
    repaired: int = 0
    late: set = field(default_factory=set)  # (key, column) a person typed in after the write
    keys: dict[int, Key] = field(default_factory=dict)  # row -> key at the write-time read

    # --- at write time ----------------------------------------------------------------
    def begin(self, grid: list[list], header_row: int, columns: dict[str, int]) -> None:
        """The write-time read: rows by key, the sync's columns by header."""
        self.grid, self.header_row = grid, header_row
        ids = {
            normalise_header(t.text(lc))
            for t in FOLLOWUPS.columns
            if t.key == "customer_id"
            for lc in LOCALES
        }
        self.id_column = next((c for h, c in columns.items() if h in ids), 0)
        sync = {normalise_header(t.text(lc)) for t in SYNC_COLUMNS for lc in LOCALES}
        self.own = {c for h, c in columns.items() if h in sync}
        self.dated = {c for h, c in columns.items() if h in DATE_HEADERS}
        self.keys = row_keys(grid, header_row, self.id_column, self.own)
        self.then = {k: n for n, k in self.keys.items()}

    def place(self, row: int, column: int, change: CellChange) -> bool:
        """May `change` be written at (row, column)? Not when a person changed the cell since
        the first read: their value stays, as their edit (said in the run's report)."""
        as_date = column in self.dated or isinstance(change.new, dt.date)
        now = _cell(self.grid, row, column)
        if comparable(now, as_date) != comparable(change.old, as_date):
            where = change.customer_id or f"{column_letter(column)}{row}"
            self.kept.append((where, change.header, now))
            return False
        self.own.add(column)
        if as_date:
            self.dated.add(column)
        key = self.keys.get(row)
        if key is not None:
            self.planned[(key, column)] = (_stored(now), change.new)
        self.sent.setdefault((row, column), []).append(change.new)
        return True

    def record(self) -> list[str]:
        """The pending record's lines: where each value went, for a run that finds it."""
        by_row: dict[int, dict] = {}
        for (row, column), values in self.sent.items():
            key = self.keys.get(row)
            entry = by_row.setdefault(row, {"tab": self.title, "row": row, "key": key, "cells": {}})
            first, want = self.planned.get((key, column), (None, values[-1]))
            entry["cells"][str(column)] = [_plain(first), _plain(want)]
        head = {
            "tab": self.title,
            "header_row": self.header_row,
            "id_column": self.id_column,
            "own": sorted(self.own),
            "dated": sorted(self.dated),
        }
        return [json.dumps(head, ensure_ascii=False)] + [
            json.dumps(e, ensure_ascii=False) for _, e in sorted(by_row.items())
        ]

    # --- between batches and after ------------------------------------------------------
    def undisturbed(self, grid: list[list]) -> bool:
        """Is every row where it was at the write-time read, every sync cell as read or as
        we sent it? Then what is left to send still goes where it belongs."""
        if row_keys(grid, self.header_row, self.id_column, self.own) != self.keys:
            return False
        for number in range(self.header_row + 1, max(len(grid), len(self.grid)) + 1):
            for column in self.own:
                have = _cell(grid, number, column)
                was = [_cell(self.grid, number, column), *self.sent.get((number, column), ())]
                if not any(_same(have, v, column in self.dated) for v in was):
                    return False
        return True

    def repairs(self, grid: list[list]) -> list[tuple[int, int, object]]:
        """Cells to write so that each customer's sync cells hold ours or their own value:
        ours found on another's row put back (`sent` there), ours not landed written again.
        Anything else differing is a person's, and stays."""
        header_row = load_sheet(grid, FOLLOWUPS, self.title, PEOPLE_KEYS).header_row
        keys = row_keys(grid, header_row or self.header_row, self.id_column, self.own)
        out = []
        for number, key in keys.items():
            for column in sorted(self.own):
                as_date = column in self.dated
                have = _cell(grid, number, column)
                first, want = self._target(key, column)
                if want is _UNKNOWN or _same(have, want, as_date):
                    continue
                ours = self.sent.get((number, column), ())
                stray = any(_same(have, v, as_date) for v in ours)
                missing = (key, column) in self.planned and _same(have, first, as_date)
                if stray or missing:
                    out.append((number, column, unplain(want)))
                elif (key, column) in self.planned:  # a person's, typed in meanwhile: stays
                    self.late.add((key, column))
        for row, column, value in out:
            self.sent.setdefault((row, column), []).append(value)
        self.repaired += len(out)
        return out

    def _target(self, key: Key, column: int) -> tuple[object, object]:
        """(value at the first read, what belongs there) for a customer's cell."""
        if (key, column) in self.planned:
            return self.planned[(key, column)]
        if self.resting is not None:  # a later run: what 同步快照 says the sync left
            value = self.resting.get((key, column), _UNKNOWN)
            return value, value
        if key not in self.then:  # a row inserted meanwhile: empty when inserted
            return None, None
        value = _stored(_cell(self.grid, self.then[key], column), column in self.dated)
        return value, value

    # --- a later run ----------------------------------------------------------------------
    @classmethod
    def from_record(cls, lines: list[str]) -> list[Watch]:
        """The watches a stopped run recorded (its PENDING tab's first column)."""
        watches: dict[str, Watch] = {}
        for line in lines:
            entry = json.loads(line)
            if "header_row" in entry:
                watch = watches[entry["tab"]] = cls(entry["tab"], entry["header_row"])
                watch.id_column, watch.resting = entry["id_column"], {}
                watch.own, watch.dated = set(entry["own"]), set(entry["dated"])
                continue
            watch = watches[entry["tab"]]
            key = entry["key"] if not isinstance(entry["key"], list) else _tuple(entry["key"])
            for column, (first, want) in entry["cells"].items():
                watch.sent.setdefault((entry["row"], int(column)), []).append(want)
                if key is not None:
                    watch.planned[(key, int(column))] = (first, want)
        return list(watches.values())

    def rest_on(self, memory: dict[str, dict[int, object]]) -> None:
        """What 同步快照 says the stopped run left in each customer's cells (by column)."""
        self.resting = {(cid, c): v for cid, cells in memory.items() for c, v in cells.items()}
        for key, (first, want) in list(self.planned.items()):
            if key in self.resting and not _same(self.resting[key], want, key[1] in self.dated):
                # 同步快照 was not written: neither was anything after it; as it was
                self.planned[key] = (first, first)


_UNKNOWN = object()


def _tuple(value):
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def _stored(value: object, as_date: bool = False) -> object:
    """A value read (unformatted) as it is written back: a serial in a date column a date."""
    if as_date and isinstance(value, (int, float)) and not isinstance(value, bool):
        found = comparable(value, True)
        return found if isinstance(found, dt.date) else value
    return None if is_blank(value) else value


def _plain(value: object) -> object:
    """JSON for the record: dates as {"d": serial}."""
    if isinstance(value, (dt.date, dt.datetime)):
        return {"d": to_excel(value)}
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def unplain(value: object) -> object:
    if isinstance(value, dict) and "d" in value:
        return comparable(value["d"], True)
    return value


def _same(a: object, b: object, as_date: bool) -> bool:
    return comparable(unplain(a), as_date) == comparable(unplain(b), as_date)


def patched(grid: list[list], placed: list[tuple[int, int, object]]) -> list[list]:
    """`grid` as it reads once `placed` (row, column, value) is written (dates as serials)."""
    grid = [list(r) for r in grid]
    for row, column, value in placed:
        grid.extend([] for _ in range(row - len(grid)))
        cells = grid[row - 1]
        cells.extend([""] * (column - len(cells)))
        value = unplain(value)
        if isinstance(value, (dt.date, dt.datetime)):
            value = to_excel(value)
        cells[column - 1] = "" if value is None else value
    return grid


def remembered(grids: dict[str, list[list]], watch: Watch, grid: list[list]) -> dict:
    """同步快照's values by customer id, under the tab's column numbers (a later run)."""
    title = next((t for t in MEMORY.titles() if t in grids), None)
    if title is None:
        return {}
    memory = load_sheet(grids[title], MEMORY, title)
    tab = load_sheet(grid, FOLLOWUPS, watch.title, PEOPLE_KEYS)
    where = {c: k for k, c in tab.columns.items() if c in watch.own and k in memory.frame}
    found = {}
    for _, row in memory.frame.iterrows():
        cid = normalise_id(row["customer_id"])
        if cid:
            found.setdefault(cid, {c: _stored(row[k], c in watch.dated) for c, k in where.items()})
    return found

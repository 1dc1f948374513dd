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
from sheetsync.workbook.schema import FOLLOWUPS, MEMORY, PEOPLE_COLUMNS, SYNC_COLUMNS
from sheetsync.workbook.tables import column_letter, load_sheet
from sheetsync.workbook.terms import LOCALES, normalise_header
from sheetsync.workbook.validate import normalise_id

PENDING = "同步待核对"  # hidden; there only while a write is not verified yet
ROUNDS = 3  # read back and repair at most this many times in one run
PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)


def _spelled(terms) -> set[str]:
    """Every header `terms` are read under, in every language."""
    return {
        normalise_header(h)
        for t in terms
        for h in (*(t.text(lc) for lc in LOCALES), *t.spellings())
    }


SYNC_HEADERS = _spelled(SYNC_COLUMNS)
DATE_HEADERS = _spelled(t for t in SYNC_COLUMNS if t.key in ("next_date", "stage_since"))
ID_HEADERS = _spelled(t for t in FOLLOWUPS.columns if t.key == "customer_id")

Key = str | tuple


def _cell(grid: list[list], row: int, column: int) -> object:
    cells = grid[row - 1] if 0 < row <= len(grid) else []
    return cells[column - 1] if column <= len(cells) else None


def row_keys(grid: list[list], header_row: int, id_column: int, own: set[int]) -> dict[int, Key]:
    """Row number -> what tells the row apart wherever it moves: its customer id, or for a
    row without a unique one everything people typed in it. Rows told apart by neither are
    left out (nothing can say where they went)."""
    ids: dict[int, str] = {}
    for number in range(header_row + 1, len(grid) + 1):
        row = grid[number - 1]
        if id_column and id_column <= len(row):
            cid = normalise_id(row[id_column - 1])
            if cid:
                ids[number] = cid
    counts: dict[Key, int] = {}
    for cid in ids.values():
        counts[cid] = counts.get(cid, 0) + 1
    found: dict[int, Key] = {}
    for number in range(header_row + 1, len(grid) + 1):
        known = ids.get(number)
        if known and counts[known] == 1:
            found[number] = known
            continue
        typed = tuple(  # no id, or one shared: the row's own text
            (i, v)
            for i, v in enumerate(grid[number - 1], start=1)
            if i not in own and not is_blank(v)
        )
        if typed:
            found[number] = ("row", typed)
            counts[found[number]] = counts.get(found[number], 0) + 1
    return {n: k for n, k in found.items() if isinstance(k, str) or counts[k] == 1}


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
    strays: dict = field(default_factory=dict)  # (key, column) -> values of ours found there
    keys: dict[int, Key] = field(default_factory=dict)  # row -> key at the write-time read

    # --- at write time ----------------------------------------------------------------
    def begin(self, grid: list[list], header_row: int, columns: dict[str, int]) -> None:
        """The write-time read: rows by key, the sync's columns by header."""
        self.grid, self.header_row = grid, header_row
        self.id_column = next((c for h, c in columns.items() if h in ID_HEADERS), 0)
        self.own = {c for h, c in columns.items() if h in SYNC_HEADERS}
        self.dated = {c for h, c in columns.items() if h in DATE_HEADERS}
        self.keys = row_keys(grid, header_row, self.id_column, self.own)
        self.then = {k: n for n, k in self.keys.items()}

    def place(self, row: int, column: int, change: CellChange) -> bool:
        """May `change` be written at (row, column)? Not when a person changed the cell since
        the first read: their value stays, as their edit (said in the run's report)."""
        as_date = column in self.dated or isinstance(change.new, dt.date)
        now = _cell(self.grid, row, column)
        if not _same(now, change.old, as_date):
            where = change.customer_id or f"{column_letter(column)}{row}"
            self.kept.append((where, change.header, now))
            return False
        self.own.add(column)
        if as_date:
            self.dated.add(column)
        key, new = self.keys.get(row), _raw(change.new)
        if key is not None:
            self.planned[(key, column)] = (_raw(now), new)
        self.sent.setdefault((row, column), []).append(new)
        return True

    def record(self) -> list[str]:
        """The pending record's lines, for a run that finds it: the tab first, then for each
        customer what goes in their cells ["p", key, [[column, first, ours]...]], for each
        row written what was sent there ["s", row, [[column, [values]]...]], and values of
        ours found on a customer's row, not put back yet ["x", key, [[column, [values]]...]]."""
        ours: dict = {}
        for (key, column), (first, want) in self.planned.items():
            ours.setdefault(key, []).append([column, first, want])
        sent: dict[int, list] = {}
        for (row, column), values in self.sent.items():
            sent.setdefault(row, []).append([column, values])
        head = {
            "tab": self.title,
            "header_row": self.header_row,
            "id_column": self.id_column,
            "own": sorted(self.own),
            "dated": sorted(self.dated),
        }
        strays: dict = {}
        for (key, column), values in self.strays.items():
            strays.setdefault(key, []).append([column, values])
        lines = [head, *(["p", k, c] for k, c in ours.items())]
        lines += [["s", r, sent[r]] for r in sorted(sent)]
        lines += [["x", k, c] for k, c in strays.items()]
        return [json.dumps(line, ensure_ascii=False) for line in lines]

    # --- between batches and after ------------------------------------------------------
    def undisturbed(self, grid: list[list]) -> bool:
        """Is every row where it was at the write-time read, and every cell we write as read
        or as we sent it? Then what is left to send still goes where it belongs."""
        if row_keys(grid, self.header_row, self.id_column, self.own) != self.keys:
            return False
        for (row, column), values in self.sent.items():
            have, dated = _cell(grid, row, column), column in self.dated
            was = _cell(self.grid, row, column)
            if not any(_same(have, v, dated) for v in (was, *values)):
                return False
        return True

    def repairs(self, grid: list[list]) -> list[tuple[int, int, object]]:
        """Cells to write so that each customer's sync cells hold ours or their own value:
        ours found on another's row (where we sent it) put back, ours not landed written
        again. Anything else differing is a person's, and stays. Only the cells written and
        the cells that should have been are looked at: a daily run reads back few."""
        keys = row_keys(grid, self._header(grid), self.id_column, self.own)
        rows = {k: n for n, k in keys.items()}
        looked = set(self.sent) | {
            (rows[k], c) for k, c in [*self.planned, *self.strays] if k in rows
        }
        out = []
        for number, column in looked:
            key = keys.get(number)
            if key is None:
                continue
            as_date = column in self.dated
            have = _cell(grid, number, column)
            first, want = self._target(key, column)
            if want is _UNKNOWN or _same(have, want, as_date):
                continue
            ours = [*self.sent.get((number, column), ()), *self.strays.get((key, column), ())]
            stray = any(_same(have, v, as_date) for v in ours)  # sent there, or found before
            missing = (key, column) in self.planned and _same(have, first, as_date)
            if stray:  # known by its customer from now on: rows may move again
                self.strays.setdefault((key, column), []).append(_raw(have))
            if stray or missing:
                out.append((number, column, want))
            elif (key, column) in self.planned:  # a person's, typed in meanwhile: stays
                self.late.add((key, column))
        for row, column, value in out:
            self.sent.setdefault((row, column), []).append(value)
        self.repaired += len(out)
        return [(r, c, _stored(v, c in self.dated)) for r, c, v in out]

    def _header(self, grid: list[list]) -> int:
        """The header row now (rows inserted above it move it down)."""
        for number in range(1, min(len(grid), 50) + 1):
            if normalise_header(_cell(grid, number, self.id_column)) in ID_HEADERS:
                return number
        return self.header_row

    def _target(self, key: Key, column: int) -> tuple[object, object]:
        """(value at the first read, what belongs there) for a customer's cell."""
        if (key, column) in self.planned:
            return self.planned[(key, column)]
        if self.resting is not None:  # a later run: what 同步快照 says the sync left
            value = self.resting.get((key, column), _UNKNOWN)
            return value, value
        if key not in self.then:  # a row inserted meanwhile: empty when inserted
            return None, None
        value = _raw(_cell(self.grid, self.then[key], column))
        return value, value

    # --- a later run ----------------------------------------------------------------------
    @classmethod
    def from_record(cls, lines: list[str]) -> list[Watch]:
        """The watches a stopped run recorded (its PENDING tab's first column)."""
        watches: dict[str, Watch] = {}
        for line in lines:
            entry = json.loads(line)
            if isinstance(entry, dict):
                watch = watches[entry["tab"]] = cls(entry["tab"], entry["header_row"])
                watch.id_column, watch.resting = entry["id_column"], {}
                watch.own, watch.dated = set(entry["own"]), set(entry["dated"])
                continue
            kind, where, cells = entry
            watch = next(reversed(watches.values()))  # the tab named by the line above
            if kind == "p":
                for column, first, want in cells:
                    watch.planned[(_tuple(where), column)] = (first, want)
            elif kind == "s":
                for column, values in cells:
                    watch.sent.setdefault((where, column), []).extend(values)
            else:  # "x": values of ours found on that customer's row
                for column, values in cells:
                    watch.strays[(_tuple(where), column)] = values
        return list(watches.values())

    def rest_on(self, memory: dict[str, dict[int, object]]) -> None:
        """What 同步快照 says the stopped run left in each customer's cells (by column)."""
        self.resting = {(cid, c): v for cid, cells in memory.items() for c, v in cells.items()}
        for key, (first, want) in list(self.planned.items()):
            if key in self.resting and not _same(self.resting[key], want, key[1] in self.dated):
                # 同步快照 was not written: neither was anything after it; as it was
                self.planned[key] = (first, first)


_UNKNOWN = object()
EPOCH = dt.date(1899, 12, 30)  # Sheets' day 0


def _tuple(value):
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def _raw(value: object) -> object:
    """A value as the API reads it back unformatted (a date as its serial number, a blank
    as ""): compared as it is with what is read, and kept as JSON in the pending record."""
    if is_blank(value):
        return ""
    if isinstance(value, dt.datetime):
        return float(to_excel(value))
    if isinstance(value, dt.date):
        return (value - EPOCH).days
    if isinstance(value, (bool, int, str)) and type(value) in (bool, int, str):
        return value
    if isinstance(value, float):
        return float(value)  # a Share or an Amount: the number
    return str(value)


def _stored(value: object, as_date: bool = False) -> object:
    """A raw value as it is written back: a serial in a date column as a date."""
    if as_date and isinstance(value, (int, float)) and not isinstance(value, bool):
        found = comparable(value, True)
        return found if isinstance(found, dt.date) else value
    return None if is_blank(value) else value


def _same(a: object, b: object, as_date: bool) -> bool:
    if a == b and type(a) is type(b):
        return True
    if is_blank(a) or is_blank(b):
        return is_blank(a) and is_blank(b)
    return comparable(a, as_date) == comparable(b, as_date)


def patched(grid: list[list], placed: list[tuple[int, int, object]]) -> list[list]:
    """`grid` as it reads once `placed` (row, column, value) is written (dates as serials)."""
    grid = [list(r) for r in grid]
    for row, column, value in placed:
        grid.extend([] for _ in range(row - len(grid)))
        cells = grid[row - 1]
        cells.extend([""] * (column - len(cells)))
        if isinstance(value, (dt.date, dt.datetime)):
            value = to_excel(value)
        cells[column - 1] = "" if value is None else value
    return grid


def remembered(grids: dict[str, list[list]], grid: list[list], lines: list[str], title: str):
    """同步快照's values by customer id, under the follow-up tab `title`'s column numbers
    (those the stopped write's record `lines` watched)."""
    watch = next(w for w in Watch.from_record(lines) if w.title == title)
    memory_title = next((t for t in MEMORY.titles() if t in grids), None)
    if memory_title is None:
        return {}
    memory = load_sheet(grids[memory_title], MEMORY, memory_title)
    tab = load_sheet(grid, FOLLOWUPS, title, PEOPLE_KEYS)
    where = {c: k for k, c in tab.columns.items() if c in watch.own and k in memory.frame}
    found: dict[str, dict[int, object]] = {}
    for cid, *values in zip(
        memory.frame["customer_id"], *(memory.frame[k] for k in where.values()), strict=True
    ):
        cid = normalise_id(cid)
        if cid:
            found.setdefault(cid, {c: _raw(v) for c, v in zip(where, values, strict=True)})
    return found

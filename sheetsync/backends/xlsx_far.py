"""Cells far from the rest of their tab: read for what they hold, not for where they are.

calamine makes every tab a dense grid from A1 to its last cell, 32 bytes a cell before any
Python object: one value typed at XFD1048576 asks for 512 GB and aborts the process, one at
XFD2 of a 10 k-row tab costs 6 GB. The `<dimension>` a part declares is not looked at (it
can say anything). Instead each sheet part's cell references are scanned as bytes (a
pattern search, ~0.1 s for 10 k customers): the tab's rows and columns in use, and the
*body* they make from A1, which stops at the first row (column) lying further than twice
its rank among the rows (columns) in use plus a margin. A tab whose cells all lie in its
body is read as before. Otherwise its far cells are cut out of the part as bytes, the rest
is read as the tab, and the far cells are read one under the other in a tab of their own
(both in a package beside, as `xlsx_read` does for slices), then put back as (row, column,
value): a far cell costs what it holds. They stay in the workbook as they are: the write
copies every cell it does not set (`xlsx_rows`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from openpyxl.utils import column_index_from_string, get_column_letter

from sheetsync.errors import BackendError

PIECE = 8 << 20  # bytes of a part scanned at a time
ROW_SLACK = 1000  # rows a tab may skip past twice its rows in use and still be one table
COLUMN_SLACK = 26  # the same for columns (a notes column a few columns right is no table)
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PREFIX = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData[\s/>]")


class Grid(list):
    """A tab's rows from A1 (a list of lists, as ever), and `far`: the cells outside them,
    (row, column, value), 1-based, values only (a far cell formatted but empty is not one);
    `far_rows`: the rows holding any far cell (a formula whose result was never saved reads
    as blank, and is still someone's cell)."""

    far: list[tuple[int, int, object]]
    far_rows: frozenset[int]

    def __init__(self, rows=(), far=(), far_rows=()) -> None:
        super().__init__(rows)
        self.far = list(far)
        self.far_rows = frozenset(far_rows) | {row for row, _, _ in self.far}


def far_cells(grid: list) -> list[tuple[int, int, object]]:
    return getattr(grid, "far", [])


def body_end(numbers: list[int], slack: int) -> int:
    """The last of the sorted `numbers` (rows or columns in use) before the first lying
    further than twice its rank plus `slack`: a table's rows are dense enough, a value typed
    at the sheet's far end is not. The body is then at most twice what is in use."""
    last = 0
    for rank, number in enumerate(numbers, start=1):
        if number > 2 * rank + slack:
            break
        last = number
    return last


def free_rows(used: list[int], count: int) -> list[int]:
    """Where `count` rows appended to a log go: after the last of the body's rows in `used`
    (the rows holding values, ascending), skipping any far row that holds one: a row is
    never appended over a cell someone typed at the sheet's far end."""
    taken, number = set(used), body_end(used, ROW_SLACK)
    free: list[int] = []
    while len(free) < count:
        number += 1
        if number not in taken:
            free.append(number)
    return free


@dataclass
class Reach:
    """Where a tab's cells are: its rows and columns in use (as referenced)."""

    rows: set[int] = field(default_factory=set)
    columns: set[int] = field(default_factory=set)

    def body(self) -> tuple[int, int] | None:
        """(last row, last column) of the body when some cell lies outside it, else None."""
        if not self.rows or not self.columns:
            return None
        rows, columns = sorted(self.rows), sorted(self.columns)
        bottom, right = body_end(rows, ROW_SLACK), body_end(columns, COLUMN_SLACK)
        if rows[-1] <= bottom and columns[-1] <= right:
            return None
        return bottom, right


def _pieces(raw: IO[bytes]) -> Iterator[bytes]:
    """The part in pieces of about PIECE bytes, each ending after a `>`: no tag is cut."""
    rest = b""
    while True:
        more = raw.read(PIECE)
        if not more:
            if rest:
                yield rest
            return
        data = rest + more
        cut = data.rfind(b">") + 1
        if cut <= 0:
            rest = data
            continue
        yield data[:cut]
        rest = data[cut:]


def _slow_patterns(prefix: bytes) -> tuple[re.Pattern, re.Pattern]:
    """Cell references as any writer may put them (`r` after other attributes, spaces)."""
    p = re.escape(prefix)
    return (
        re.compile(rb"<" + p + rb"c\s(?:[^>]*?\s)?r\s*=\s*[\"']([A-Z]{1,3})\d"),
        re.compile(rb"<" + p + rb"c\s(?:[^>]*?\s)?r\s*=\s*[\"'][A-Z]{1,3}(\d{1,7})[\"']"),
    )


class _Scan:
    """A part's rows and columns in use, piece by piece, in a few pattern searches a piece
    (no object made per cell: ~0.1 s for 10 k customers, most of it inflating the part).
    Rows and cells as Excel, WPS, LibreOffice and openpyxl write them (`<row r="7">`,
    `<c r="B7"`): the rows holding cells, each column once (a search that skips the columns
    already seen, then the next), and a look for any cell ten times further down than the
    last row seen (none in a well-formed part: a cell sits in its row; one an odd writer put
    elsewhere costs at most ten times the rows). A piece holding a row or cell written any
    other way is read reference by reference (slow, and rare)."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.prefix, self.reach = prefix, Reach()
        self.known: set[bytes] = set()
        self.plain = True  # every row and cell written `<row r="7">`, `<c r="B7"`
        # a row holding a cell; or a row ending the piece, whose cells may start the next
        self.rows = re.compile(
            rb"<" + p + rb'row r="(\d{1,7})"[^>]*(?<!/)>\s*(?:<' + p + rb"c[\s/>]|\Z)"
        )
        self.odd = rb"c(?! r=\"[A-Z])[\s/>]|row(?! r=\"\d)[\s/>]"
        self.slow = _slow_patterns(prefix)
        self._next_column()

    def _next_column(self) -> None:
        """The search for a column not yet seen, or a row or cell written otherwise."""
        groups: dict[bytes, set[bytes]] = {}
        for letters in self.known:
            groups.setdefault(letters[:-1], set()).add(letters[-1:])
        seen = b"|".join(
            re.escape(k) + b"[" + b"".join(sorted(v)) + b"]" for k, v in groups.items()
        )
        skip = b"(?!(?:" + seen + rb")\d)" if seen else b""
        cell = b'c r="' + skip + rb"([A-Z]{1,3})\d"
        self.column = re.compile(
            b"<" + re.escape(self.prefix) + b"(?:" + cell + b"|" + self.odd + b")"
        )

    def piece(self, data: bytes) -> None:
        at = 0
        while m := self.column.search(data, at):
            if m.group(1) is None:  # a row or cell written otherwise: reference by reference
                return self._slowly(data)
            self.known.add(m.group(1))
            self.reach.columns.add(column_index_from_string(m.group(1).decode()))
            self._next_column()
            at = m.start()
        self.reach.rows.update(map(int, self.rows.findall(data)))
        digits = len(str(max(self.reach.rows, default=0))) + 1  # a row ten times further
        below = b"<" + re.escape(self.prefix) + b'c r="[A-Z]{1,3}\\d{%d}' % digits
        if re.search(below, data):
            return self._slowly(data)  # a cell far below the rows: where it says it is
        return None

    def _slowly(self, data: bytes) -> None:
        self.plain = False
        columns, rows = self.slow
        letters = set(columns.findall(data))
        self.known |= letters
        self.reach.columns.update(column_index_from_string(c.decode()) for c in letters)
        self.reach.rows.update(map(int, set(rows.findall(data))))
        self._next_column()


def scan(raw: IO[bytes]) -> tuple[bytes, tuple[int, int] | None, bool]:
    """The part's namespace prefix, (last row, last column) of its body when a cell lies
    outside it (None: read it as it is), and whether every row and cell is written as
    `<row r="7">`, `<c r="B7"` (their far cells are then found by the faster pattern). A
    cell without a reference sits right of the one before it: it can only be as far as
    there are cells before it, and is not looked for."""
    found = None
    for piece in _pieces(raw):
        if found is None:
            prefix = PREFIX.search(piece)
            if prefix is None:
                continue  # the head: no cells before <sheetData>
            found = _Scan(prefix.group(1))
        found.piece(piece)
    if found is None:
        return b"", None, True
    return found.prefix, found.reach.body(), found.plain


def _greater(text: str, alphabet: str) -> bytes:
    """A pattern matching the strings of `alphabet` (A-Z, or 0-9 with no leading zero) that
    name a number greater than `text`: longer ones, or as long and larger where they first
    differ. Column AAA is right of ZZ, as 100 is past 99."""
    low, top = alphabet[0], alphabet[-1]
    first = alphabet[1] if low == "0" else low
    options = [f"[{first}-{top}][{low}-{top}]{{{len(text)},}}"]
    for at, char in enumerate(text):
        if char != top:
            rest = len(text) - at - 1
            options.append(f"{text[:at]}[{chr(ord(char) + 1)}-{top}][{low}-{top}]{{{rest}}}")
    return "|".join(options).encode()


def far_pattern(prefix: bytes, bottom: int, right: int, plain: bool = False) -> re.Pattern:
    """A cell whose reference lies right of column `right` or below row `bottom`; `plain`:
    among cells written `<c r="B7"` (a literal search, fast)."""
    p = re.escape(prefix)
    letters = _greater(get_column_letter(right), ALPHABET) if right else b"[A-Z]+"
    numbers = _greater(str(bottom), "0123456789") if bottom else b"[1-9][0-9]*"
    ref = rb"(?:(?:" + letters + rb")\d+|[A-Z]+(?:" + numbers + rb"))"
    if plain:
        return re.compile(rb"<" + p + rb'c r=(")' + ref + rb'"')
    return re.compile(rb"<" + p + rb"c\s(?:[^>]*?\s)?r\s*=\s*([\"'])" + ref + rb"\1")


REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]+)(\d+)["']""")
ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?worksheet)[\s>][^>]*>")


@dataclass
class Cut:
    """What `cut_far` took out of a part: its root tag, and the far cells as (row, column,
    the cell's XML), in the part's order."""

    root: bytes = b""
    root_name: bytes = b""
    far: list[tuple[int, int, bytes]] = field(default_factory=list)


def cut_far(
    raw: IO[bytes], prefix: bytes, box: tuple[int, int], title: str, write, plain: bool = False
) -> Cut:
    """The part from `raw` written through `write` without the cells outside `box` (last
    row, last column); those cells returned. A comment, CDATA or processing instruction
    among them could hide the end of a cell: such a part is not cut, and the run stops
    saying which tab and cell."""
    found = far_pattern(prefix, *box, plain)
    close = b"</" + prefix + b"c>"
    cut, carried = Cut(), b""
    for piece in _pieces(raw):
        piece, carried = carried + piece, b""
        if not cut.root and (root := ROOT.search(piece)):
            cut.root, cut.root_name = root.group(), root.group(1)
        at = 0
        for m in found.finditer(piece):
            if at == 0 and _odd(piece):
                ref = REF.search(piece, m.start())
                at_ref = b"".join(ref.groups()).decode() if ref else "a far cell"
                raise BackendError(
                    f"tab {title}: a value at {at_ref} "
                    "lies far from the others, and the tab's XML holds comments or CDATA the "
                    "sync does not cut; clear that cell, or save the workbook again from Excel"
                )
            end = piece.find(b">", m.end())
            if piece[end - 1 : end] != b"/":
                end = piece.find(close, end)
                if end < 0:  # the cell goes on in the next piece
                    carried = piece[m.start() :]
                    piece = piece[: m.start()]
                    break
                end += len(close) - 1
            end += 1
            ref = REF.search(piece, m.start(), end)
            if ref is None:  # `found` matched a reference there: cannot happen
                raise BackendError(f"tab {title}: a far cell without its reference")
            column, row = column_index_from_string(ref.group(1).decode()), int(ref.group(2))
            write(piece[at : m.start()])
            cut.far.append((row, column, piece[m.start() : end]))
            at = end
        write(piece[at:])
    if carried:
        raise BackendError(f"tab {title}: a cell is cut off")
    if not cut.root:
        raise BackendError(f"tab {title}: a worksheet without its root element")
    return cut


def far_sheet(cut: Cut, prefix: bytes) -> bytes:
    """A worksheet holding the far cells one under the other in column A, in order: calamine
    reads their values as it would have read them in place (shared strings, dates, errors)."""
    rows = [
        b'<%srow r="%d">%s</%srow>' % (prefix, k, REF.sub(b' r="A%d"' % k, xml, count=1), prefix)
        for k, (_, _, xml) in enumerate(cut.far, start=1)
    ]
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + cut.root
        + b"<" + prefix + b"sheetData>"
        + b"".join(rows)
        + b"</" + prefix + b"sheetData></" + cut.root_name + b">"
    )  # fmt: skip


def _odd(data: bytes) -> bool:
    """Whether `data` holds a comment, CDATA or processing instruction (its XML declaration
    aside)."""
    declared = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml")
    return b"<!" in data or data.count(b"<?") > declared

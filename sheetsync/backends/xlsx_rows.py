"""Streaming a worksheet part: rows found as bytes, only the rows that change parsed.

A sheet part of 100 k customers is ~190 MB of XML; parsed whole with lxml it costs GBs and a
minute. Here the part is inflated in chunks, each `<row r="N">…</row>` is found as bytes and
copied untouched unless the changeset writes into it, and the rows that change are parsed a
batch at a time (inside the part's own root tag, so its namespace prefixes still resolve),
edited with the same cell rules as ever (`xlsx_cells.set_cell`), and written back. Memory
stays at a chunk and a batch of rows, whatever the part's size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from sheetsync.backends.xlsx_cells import Styles, cell_key, fit_text, is_blank, row_key, set_cell
from sheetsync.backends.xlsx_layout import lay_out_head, lay_out_tail
from sheetsync.backends.xlsx_package import MAIN, PatchUnsupported, main_tag, split_ref
from sheetsync.workbook.changes import Heading, SheetLayout

CHUNK = 1 << 20  # bytes inflated at a time
BATCH = 512  # changed rows parsed together (one lxml parse per batch)
FLUSH = 1 << 18  # output gathered before each deflate call
NAME = rb"[A-Za-z_][\w.-]*"
ROOT = re.compile(rb"<(" + NAME + rb"(?::" + NAME + rb")?)[\s>]")
SHEET_DATA = re.compile(rb"<((?:" + NAME + rb":)?)sheetData(?:\s[^>]*)?(/?)>")
ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
CELL = main_tag("c")
USED = re.compile(rb"<(?:" + NAME + rb":)?(?:v|f|is)[\s/>]")  # a cell with a value or formula


@dataclass
class SheetEdits:
    """What one tab's part gets: cells set, rows written afresh, and around the rows."""

    cells: dict[int, dict[int, object]] = field(default_factory=dict)  # row -> column -> value
    rows: dict[int, list] = field(default_factory=dict)  # row -> values (the old row dropped)
    clear: bool = False  # every old row dropped (a tab replaced whole) ...
    kept_from: int | None = None  # ... but from this row on (cells read as far: xlsx_far)
    widths: dict[int, float] = field(default_factory=dict)  # new columns: column -> width
    drawing: str | None = None  # r:id of the drawing to show (charts); None: as it is
    append: list[list] = field(default_factory=list)  # rows after the last used one
    layout: SheetLayout | None = None  # panes, widths, filter, printing (xlsx_layout)

    def set(self, row: int, column: int, value: object) -> None:
        self.cells.setdefault(row, {})[column] = value

    def replace(self, rows: list[list], old: RowsRead | None, height: int | None = None) -> None:
        """The tab's new content, rewriting only the rows that differ from what was read: a
        daily run changes a few rows of a long task log or memory, not all of them. Without
        the rows read, every old row is dropped; with the `height` read, only those up to it
        and to the new content's end (rows further down were read as far cells: kept)."""
        if old is None:
            self.clear, self.cells = True, {}
            if height is not None:
                self.kept_from = max(height, len(rows)) + 1
            self.rows = {n: values for n, values in enumerate(rows, start=1)}
            return
        for number in range(1, max(len(rows), len(old.rows)) + 1):
            new = rows[number - 1] if number <= len(rows) else []
            if not old.reads_as(number, new) or (new and isinstance(new[0], Heading)):
                self.rows[number] = new
        self.keep_far(old.far, old.width)

    def keep_far(self, far: frozenset, width: int) -> None:
        """Rows holding cells read as far (`xlsx_far`) are set cell by cell, the columns read
        cleared, rather than written afresh: the far cells in them stay."""
        for number in far & self.rows.keys():
            new = self.rows.pop(number)
            self.cells[number] = {
                c: new[c - 1] if c <= len(new) else None for c in range(1, max(len(new), width) + 1)
            }

    def changes(self) -> bool:
        """Whether the part changes at all (a tab replaced by the rows it has does not, and
        is then copied as its compressed bytes)."""
        return (
            bool(self.cells or self.rows or self.clear or self.widths or self.append)
            or self.drawing is not None
        )

    def touched(self) -> list[int]:
        return sorted(set(self.cells) | set(self.rows))


NUMBERS = frozenset({int, float})  # the kinds whose hashes collide (-1 and -2; x and x + 2**61 - 1)


@dataclass
class RowsRead:
    """A tab's rows as read, kept for the write to tell which rows a whole new content
    changes, in a fraction of their memory: a row of text, dates and blanks is kept as its
    hash, a row holding a number as itself. At 100 k customers the task log and the sync's
    memory are ~2 M cells, ~70 MB as rows, and no step of the run needs them but the write."""

    rows: list  # per row: hash(tuple(row)), or the row itself
    width: int = 0  # every row as read is this wide (blanks read as "")
    far: frozenset = frozenset()  # the rows holding cells read as far (xlsx_far)

    @classmethod
    def of(cls, grid: list[list]) -> RowsRead:
        return cls(
            [row if not NUMBERS.isdisjoint(map(type, row)) else hash(tuple(row)) for row in grid],
            max(map(len, grid), default=0),
            getattr(grid, "far_rows", frozenset()),
        )

    def reads_as(self, number: int, new: list) -> bool:
        """Whether row `number` written as `new` would read back as it was read. A row kept
        as its hash matches only a row of the same values and kinds; one that reads the
        same another way (a midnight datetime where a date was) is rewritten, never skipped."""
        was = self.rows[number - 1] if number <= len(self.rows) else []
        if not isinstance(was, int):
            return _reads_as(new, was)
        plain = ["" if v is None or (type(v) is float and v != v) else v for v in new]
        if len(plain) > self.width:
            if plain[self.width :].count("") != len(plain) - self.width:
                return False
            del plain[self.width :]
        plain += [""] * (self.width - len(plain))
        return hash(tuple(plain)) == was


def rows_read(grids: dict[str, list[list]]) -> dict[str, RowsRead]:
    return {title: RowsRead.of(grid) for title, grid in grids.items()}


def _reads_as(new: list, was: list) -> bool:
    """`row_key(new) == row_key(was)`, quickly for the usual case of a row written as it was
    read (blanks read back as "", the old row padded to the tab's width): values equal by
    `==` have equal keys, so only rows that differ that way need the keys compared."""
    if not was:  # a row past the old end (a first sync's every row): new unless blank
        return all(cell_key(v) is None for v in new)
    size, plain = len(new), [("" if v is None else v) for v in new]
    if size <= len(was) and was[size:].count("") == len(was) - size and plain == was[:size]:
        return True
    if any(type(a) is str is type(b) and a != b for a, b in zip(plain, was, strict=False)):
        return False  # text where text was, another: changed (the key would only say so slower)
    return row_key(new) == row_key(was)


class _Reader:
    """A part's bytes, inflated a chunk at a time, as a window to search and cut."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.buf, self.pos, self.eof = raw, b"", 0, False
        self.base = 0  # where the window starts in the part

    def more(self) -> bool:
        chunk = b"" if self.eof else self.raw.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.base += self.pos
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return True

    def search(self, pattern: re.Pattern) -> re.Match | None:
        """The next match from the current position; a match touching the end of the window
        may be cut off, so it is looked for again with more bytes."""
        while True:
            m = pattern.search(self.buf, self.pos)
            if m is not None and (m.end() < len(self.buf) or self.eof):
                return m
            if not self.more():
                return m

    def find(self, needle: bytes, start: int) -> int:
        """Where `needle` is, from `start` (a position in the window; it moves on refills)."""
        while True:
            at = self.buf.find(needle, start)
            if at >= 0:
                return at
            offset = self.pos
            if not self.more():
                raise PatchUnsupported("a worksheet part is cut off")
            start = max(self.pos, start - offset + self.pos - len(needle))

    def take(self, end: int) -> bytes:
        data, self.pos = self.buf[self.pos : end], end
        return data

    def rest(self) -> Iterator[bytes]:
        yield self.take(len(self.buf))
        while self.more():
            yield self.take(len(self.buf))


class SheetPart:
    """A worksheet part read as a stream: its head up to `<sheetData>`, then its rows, then
    the rest (`tail()`), each read once, in that order."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.reader = _Reader(raw)
        m = self.reader.search(SHEET_DATA)
        if m is None:
            raise PatchUnsupported("a worksheet without sheetData")
        self.head = self.reader.take(m.start())
        self.reader.pos = m.end()
        self.prefix, self.empty = m.group(1), bool(m.group(2))
        root = ROOT.search(_without_prolog(self.head))
        if root is None:
            raise PatchUnsupported("a worksheet without its root element")
        self.root_name = root.group(1)
        start = self.head.index(b"<" + self.root_name)
        self.root_open = self.head[start : self.head.index(b">", start) + 1]
        self.row_or_end = re.compile(rb"<(/?)" + re.escape(self.prefix) + rb"(row|sheetData)[\s/>]")
        self.row_start, self.end_rows = (
            b"<" + self.prefix + b"row",
            b"</" + self.prefix + b"sheetData",
        )
        self.numbered = re.compile(b"<" + re.escape(self.prefix) + rb'row r="(\d+)"')
        self.last = 0  # the number of the last row seen
        self.masks: dict[bytes, bytes] = {}  # stand-in -> a reference XML forbids (`fragment`)
        self._blind = self._no_end = 0  # up to where runs cannot be copied; no </sheetData>
        self._tried = (0, 0)  # a row to edit, and the window it was looked for in
        declared = rb"\sxmlns" + (b":" + re.escape(self.prefix[:-1]) if self.prefix else b"")
        main = re.escape(MAIN.encode())
        # Rows may be written as bytes: the prefix is the transitional namespace's.
        self.plain = re.search(declared + rb"""\s*=\s*(["'])""" + main + rb"\1", self.root_open)

    def rows(self) -> Iterator[tuple[int, bytes]]:
        """(number, the row's bytes), in order; inter-row whitespace dropped."""
        if self.empty:
            return
        reader = self.reader
        while True:
            m = reader.search(self.row_or_end)
            if m is None:
                raise PatchUnsupported("a worksheet part is cut off")
            if reader.buf[reader.pos : m.start()].strip():
                raise PatchUnsupported("something other than rows in sheetData")
            if m.group(2) == b"sheetData" or m.group(1):
                if m.group(2) != b"sheetData" or not m.group(1):
                    raise PatchUnsupported("rows out of place")
                reader.pos = m.start()  # the tail starts at </sheetData>
                return
            number, data = self._row(m.start())
            if number <= self.last:
                raise PatchUnsupported("rows out of order")
            self.last = number
            yield number, data

    def rows_before(self, number: int) -> Iterator[bytes]:
        """Runs of whole rows before row `number`, each as one piece, for rows nobody edits:
        a daily run changes a few thousand of 100 k rows, and looking at each of the others
        one by one was most of the write. The row is found as Excel, WPS, LibreOffice and
        openpyxl write it (`<row r="N"`). A run holds only rows so written, in order, after
        the last row seen, and never reaches the row or anything after it; where that
        cannot be told (rows written otherwise, out of order, a comment, the end of the
        rows), the rows are read one by one (`rows`), which refuses what it must. Whatever
        else lies between copied rows (whitespace) is kept as it is."""
        reader = self.reader
        tag = b'<%srow r="%d"' % (self.prefix, number)
        while not self.empty and reader.base + len(reader.buf) > self._blind:
            if self._tried == (number, reader.base + len(reader.buf)):
                return  # this row is in this window, not found by its tag: one by one to it
            stop = self._end_of_rows()
            limit = len(reader.buf) if stop < 0 else stop
            at = reader.buf.find(tag, reader.pos, limit)
            cut = at if at >= 0 else reader.buf.rfind(self.row_start, reader.pos, limit)
            span = reader.buf[reader.pos : cut] if cut > reader.pos else b""
            refused = self._refused(span, number) if span else None
            if refused == "window":  # not rows as this copies them: one by one, this window
                self._blind = reader.base + len(reader.buf)
            if refused:
                self._tried = (number, reader.base + len(reader.buf))
                return
            if span:
                reader.pos = cut
                yield span
            if at >= 0 or stop >= 0 or not reader.more():
                return

    def _end_of_rows(self) -> int:
        """Where `</sheetData>` is in the window, or -1; each byte looked at once."""
        reader = self.reader
        since = max(reader.pos, self._no_end - reader.base)
        found = reader.buf.find(self.end_rows, since)
        if found < 0:
            self._no_end = reader.base + max(since, len(reader.buf) - len(self.end_rows))
        return found

    def _refused(self, span: bytes, before: int) -> str | None:
        """None when `span` is rows all written `<row r="N"`, numbered upwards from after
        the last row seen to before `before` (the last row seen then moves on); "row" when
        it reaches row `before` (read one by one up to it), "window" when this window's rows
        are not to be copied so at all (written otherwise, out of order, a comment or CDATA
        that could hide a "</row>")."""
        if b"<!" in span:
            return "window"
        found = self.numbered.findall(span)
        if not found or len(found) != span.count(self.row_start):
            return "window"
        numbers = list(map(int, found))
        if numbers[0] <= self.last or not all(map(operator.lt, numbers, numbers[1:])):
            return "window"
        if numbers[-1] >= before:
            return "row"
        self.last = numbers[-1]
        return None

    def _row(self, start: int) -> tuple[int, bytes]:
        reader = self.reader
        reader.pos = start  # kept in the window from here on, whatever is read next
        close = reader.find(b">", start)
        number = ROW_NUMBER.search(reader.buf, reader.pos, close)
        if number is None:
            raise PatchUnsupported("rows without numbers")
        if reader.buf[close - 1 : close] == b"/":
            end = close + 1
        else:
            end_tag = b"</" + self.prefix + b"row>"
            end = reader.find(end_tag, close) + len(end_tag)
        data = reader.take(end)
        if b"<!" in data:  # a comment or CDATA could hide a "</row>"
            raise PatchUnsupported("comments or CDATA in a row")
        return int(number.group(1)), data

    def tail(self) -> Iterator[bytes]:
        """Everything after the rows (from `</sheetData>` on)."""
        if self.empty:
            yield b"</" + self.prefix + b"sheetData>"
        yield from self.reader.rest()

    def fragment(self, body: bytes) -> etree._Element:
        """`body` (elements of this part) parsed inside the part's own root tag. A character
        reference XML forbids (`&#xFFFE;`, `&#x1;`) that a hand-made file holds in a person's
        cell is parsed as a stand-in character the file does not hold, and `unmask` puts the
        reference back as it was: lxml refuses the reference, and the person's cell must come
        out of the write as it went in."""
        if b"&#" in body:
            body = _REFERENCE.sub(lambda m: self._mask(m, body), body)
        parser = etree.XMLParser(huge_tree=True, resolve_entities=False)
        return etree.fromstring(self.root_open + body + b"</" + self.root_name + b">", parser)

    def _mask(self, m: re.Match, body: bytes) -> bytes:
        ref = m.group()
        code = int(m.group(1)[1:], 16) if m.group(1)[:1] in b"xX" else int(m.group(1))
        if not _refused(code):
            return ref
        for stand_in, original in self.masks.items():
            if original == ref:
                return stand_in
        n = _STAND_INS + len(self.masks)
        while chr(n).encode() in body or chr(n).encode() in self.masks:
            n += 1
        self.masks[chr(n).encode()] = ref
        return chr(n).encode()

    def unmask(self, data: bytes) -> bytes:
        """`data` serialised from `fragment`s, each stand-in back to its reference."""
        for stand_in, original in self.masks.items():
            data = data.replace(stand_in, original)
        return data


_REFERENCE = re.compile(rb"&#(x[0-9a-fA-F]{1,8}|X[0-9a-fA-F]{1,8}|[0-9]{1,10});")
_STAND_INS = 0x100000  # plane 16's private use: characters no spreadsheet text holds


XML_WHITESPACE = (0x9, 0xA, 0xD)  # the only control characters XML 1.0 allows
FIRST_CHARACTER, LAST_CHARACTER = 0x20, 0x10FFFF  # below: controls; past: no character
SURROGATES, NON_CHARACTERS = range(0xD800, 0xE000), (0xFFFE, 0xFFFF)


def _refused(code: int) -> bool:
    """A character XML 1.0 forbids, even as a reference."""
    if code in XML_WHITESPACE:
        return False
    return (
        code < FIRST_CHARACTER
        or code in SURROGATES
        or code in NON_CHARACTERS
        or code > LAST_CHARACTER
    )


TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def new_row(prefix: bytes, number: int, values: dict[int, object], styles: Styles) -> bytes | None:
    """The row `number` holding `values` (column -> value), as the bytes lxml makes of an empty
    row given the same cells through `set_cell`; b"" for a row with no cells, None when a
    value is of a kind only `set_cell` writes (a Heading, a Share, anything new). Each cell's
    bytes but its row number are made once per column and value (`_new_cell`): a first sync
    writes millions of cells."""
    p, row = prefix.decode(), str(number)
    cells = []
    for column in sorted(values):
        made = _content(p, values[column], styles.epoch)
        if made is None:
            return None
        cells.append(_new_cell(p, column, row, made, styles))
    if not cells:
        return b""
    return f'<{p}row r="{row}">{"".join(cells)}</{p}row>'.encode()


def _new_cell(p: str, column: int, number: int | str, made: tuple, styles: Styles) -> str:
    """A cell that was not there, as `_cell` makes it from its reference alone: its column's
    opening, the row number, and what its value makes of the rest."""
    return (
        _opening(p, column) + str(number) + _tail(p, made, styles.date_style() if made[2] else "")
    )


@functools.cache
def _opening(p: str, column: int) -> str:
    return f'<{p}c r="{get_column_letter(column)}'


@functools.lru_cache(maxsize=1 << 14)  # statuses, grades, dates: the same few thousand values
def _tail(p: str, made: tuple[str, str, bool], date_style: str) -> str:
    """A new cell after its reference's row number: its date format and type, then its
    content (as `set_cell` writes them), the same for each cell of that value."""
    kind, body, _ = made
    style = f' s="{date_style}"' if date_style else ""
    typed = f' t="{kind}"' if kind else ""
    return f'"{style}{typed}>{body}</{p}c>' if body else f'"{style}{typed}/>'


def _content(p: str, value: object, epoch: dt.datetime) -> tuple[str, str, bool] | None:
    """A plain value as `set_cell` writes it: (its t attribute, the cell's children, whether
    it needs a date format); None for a kind only `set_cell` writes (a Heading, a Share,
    anything new) or text lxml refuses (a lone surrogate). Dates count from `epoch`, the
    workbook's (1900, or 1904 for one made on a Mac)."""
    kind = type(value)
    if kind is str or kind is dt.date or kind is dt.datetime:
        return _cached_content(p, kind, value, epoch)
    if value is None:
        return "", "", False
    if kind is bool:
        return "b", f"<{p}v>{1 if value else 0}</{p}v>", False
    if kind is float or kind is int:
        return ("", "", False) if is_blank(value) else ("", f"<{p}v>{value!r}</{p}v>", False)
    return None


@functools.lru_cache(maxsize=1 << 14)  # statuses, grades, dates: the same few thousand values
def _cached_content(
    p: str, kind: type, value: object, epoch: dt.datetime
) -> tuple[str, str, bool] | None:
    if kind is not str:
        return "", f"<{p}v>{to_excel(value, epoch)!r}</{p}v>", True
    if not value:
        return "", "", False
    text = fit_text(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return "inlineStr", f"<{p}is><{p}t{space}>{text.translate(TEXT_ESCAPES)}</{p}t></{p}is>", False


def _cell(p: str, attrs: list[tuple[str, str]], made: tuple[str, str, bool], styles) -> str:
    """An existing cell as `set_cell` leaves it: its own attributes (name, quoted value) kept
    in their order but its type; the value's type and format added as set_cell adds them."""
    kind, body, date = made
    attrs = [(k, v) for k, v in attrs if k != "t"]
    if date:
        at = next((i for i, (k, _) in enumerate(attrs) if k == "s"), None)
        if not styles.is_date_style(None if at is None else attrs[at][1][1:-1]):
            style = ("s", f'"{styles.date_style()}"')
            if at is None:
                attrs.append(style)
            else:
                attrs[at] = style
    if kind:
        attrs.append(("t", f'"{kind}"'))
    head = "".join(f" {k}={v}" for k, v in attrs)
    return f"<{p}c{head}>{body}</{p}c>" if body else f"<{p}c{head}/>"


SLASH = ord("/")  # a byte of "/>", an empty element's end
ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*')\s*""")


class RowBytes:
    """Edits an existing row's bytes: its cells found by pattern, the ones set rebuilt as
    `set_cell` would leave them, the rest kept as they are. Anything unusual (a comment, a
    namespace declared on the row, text between cells, a cell without a reference) and the
    row takes the element path instead (`edit` gives None)."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.prefix = prefix.decode()
        self.row = re.compile(rb"<" + p + rb"row(\s[^>]*?)?\s*(?:/>|>(.*)</" + p + rb"row>)", re.S)
        self.cell = re.compile(rb"<" + p + rb"c(\s[^>]*?)?\s*(?:/>|>(.*?)</" + p + rb"c>)", re.S)
        self.only_cells = re.compile(
            rb"(?:<" + p + rb"c(?:\s[^>]*?)?\s*(?:/>|>.*?</" + p + rb"c>))*", re.S
        )
        self.cell_start = re.compile(rb"<" + p + rb"c[\s/>]")
        self.cell_tag = re.compile(  # a cell's start tag, and its reference's column if it has one
            rb"<" + p + rb"c(?=[\s/>])(?:[^>]*?" + CELL_REF.pattern + rb")?[^>]*>"
        )
        self.last_cell = b"<" + prefix + b"c "
        self.cell_open, self.cell_close = len(b"<" + prefix + b"c"), b"</" + prefix + b"c>"

    def edit(self, data: bytes, values: dict[int, object], styles: Styles) -> bytes | None:
        if not values or b"xmlns" in data or b"<!" in data:
            return None
        made: dict[int, tuple[str, str, bool]] = {}
        for column, value in values.items():
            content = _content(self.prefix, value, styles.epoch)
            if content is None:
                return None
            made[column] = content
        m = self.row.fullmatch(data)
        if m is None:
            return None
        row_attrs, inner = _attributes(m.group(1) or b""), m.group(2) or b""
        if row_attrs is None:
            return None
        last = self._last_column(inner)
        if last is not None and min(made) <= last:  # not only new cells: checked cell by cell
            return self._rebuilt(inner, row_attrs, made, styles)
        if self.only_cells.fullmatch(inner) is None:
            return None
        refs = CELL_REF.findall(inner)
        if len(refs) != len(self.cell_start.findall(inner)):  # a cell without its reference
            return None
        columns = [_column(letters) for letters in refs]
        if any(a >= b for a, b in zip(columns, columns[1:], strict=False)):  # twice, out of order
            return None
        if not columns or min(made) > columns[-1]:  # cells after the last (new columns)
            number = _row_number(row_attrs)
            row_attrs = [(k, v) for k, v in row_attrs if k != "spans"]
            new = "".join(_new_cell(self.prefix, c, number, made[c], styles) for c in sorted(made))
            head = "".join(f" {k}={v}" for k, v in row_attrs)
            p = self.prefix
            return f"<{p}row{head}>".encode() + inner + f"{new}</{p}row>".encode()
        return self._rebuilt(inner, row_attrs, made, styles)

    def _last_column(self, inner: bytes) -> int | None:
        """The column of the row's last cell at a glance, None if it cannot be told so. Only
        picks the path: the whole-row checks above (new cells after the last) or those
        `_rebuilt` makes of every cell (any other edit)."""
        at = inner.rfind(self.last_cell)
        if at < 0:
            return None
        ref = CELL_REF.search(inner, at, inner.find(b">", at))
        return None if ref is None else _column(ref.group(1))

    def _rebuilt(self, inner: bytes, row_attrs: list, made: dict, styles: Styles) -> bytes | None:
        """The row with the cells in `made` set. The row is checked whole first (nothing but
        cells, each with its reference inside its own start tag, in column order, none twice),
        then only the cells set are cut out and rebuilt: a row of 40 cells with one changed
        is not taken apart cell by cell. "Nothing but cells": the first starts the row, and
        each ends (`/>` or `</c>`) just where the next starts (the part is well-formed XML,
        so a segment from one cell's start to the next that ends with `</c>` is that cell)."""
        tags = list(self.cell_tag.finditer(inner))
        if inner and (not tags or tags[0].start()):  # something before the first cell
            return None
        starts = [tag.start() for tag in tags] + [len(inner)]
        order = [_column(g) if (g := tag.group(1)) else 0 for tag in tags]  # 0: no reference
        if order and (not order[0] or any(a >= b for a, b in zip(order, order[1:], strict=False))):
            return None  # a cell without its reference, a cell twice, out of order
        close = self.cell_close
        for tag, after in zip(tags, starts[1:], strict=True):  # each ends where the next starts
            end = tag.end()
            if not (end == after and inner[end - 2] == SLASH) and not inner.endswith(
                close, 0, after
            ):
                return None  # neither "/>" nor "</c>" just before the next: something between
        parsed, number = {}, _row_number(row_attrs)
        for column, content in made.items():
            i = _place(order, column)
            if i is None:  # a cell that was not there
                parsed[column] = _new_cell(self.prefix, column, number, content, styles).encode()
                row_attrs = [(k, v) for k, v in row_attrs if k != "spans"]
                continue
            opening = inner[starts[i] + self.cell_open : tags[i].end() - 1]
            attrs = _attributes(opening[:-1] if opening.endswith(b"/") else opening)
            if attrs is None:
                return None
            parsed[column] = _cell(self.prefix, attrs, content, styles).encode()
        p = self.prefix
        head = "".join(f" {k}={v}" for k, v in row_attrs)
        return (
            f"<{p}row{head}>".encode()
            + _spliced(inner, starts, order, parsed)
            + f"</{p}row>".encode()
        )


def _place(order: list[int], column: int) -> int | None:
    """Which cell of the row holds `column` (`order`: the row's columns, ascending)."""
    i = bisect.bisect_left(order, column)
    return i if i < len(order) and order[i] == column else None


def _spliced(inner: bytes, starts: list[int], order: list[int], parsed: dict) -> bytes:
    """The row's cells with those in `parsed` (column -> bytes) put in: each replaces the cell
    of its column or goes before the first cell right of it; the runs of cells between are
    copied as they are, not one by one."""
    pieces, at = [], 0
    for column in sorted(parsed):
        i = bisect.bisect_left(order, column)  # its cell, or the first right of it
        pieces += [inner[at : starts[i]], parsed[column]]
        at = starts[i + 1] if _place(order, column) is not None else starts[i]
    pieces.append(inner[at:])
    return b"".join(pieces)


CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})\d+["']""")


@functools.cache
def _column(letters: bytes) -> int:
    return column_index_from_string(letters.decode())


def _attributes(text: bytes) -> list[tuple[str, str]] | None:
    """A start tag's attributes as (name, quoted value), in order; None if anything else."""
    found, at = [], 0
    text = text.strip()
    for m in ATTR.finditer(text):
        if m.start() != at:
            return None
        found.append((m.group(1).decode(), m.group(2).decode()))
        at = m.end()
    return found if at == len(text) else None


def _row_number(attrs: list[tuple[str, str]]) -> str:
    return next(v[1:-1] for k, v in attrs if k == "r")


def _without_prolog(head: bytes) -> bytes:
    """The head with its XML declaration, comments and processing instructions blanked."""
    return re.sub(rb"<\?.*?\?>|<!--.*?-->", lambda m: b" " * len(m.group()), head, flags=re.S)


def serialise(root: etree._Element) -> bytes:
    """The children of a fragment's root, as bytes (the root's own tags cut off)."""
    if not len(root):
        return b""
    text = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return text[text.index(b">") + 1 : text.rindex(b"</")]


def used_rows(raw: IO[bytes]) -> list[int]:
    """The rows with a value or formula in them, ascending (rows formatted but empty don't
    count): where rows appended go (`xlsx_far.free_rows`)."""
    return [number for number, data in SheetPart(raw).rows() if USED.search(data)]


def splice(
    raw: IO[bytes],
    edits: SheetEdits,
    styles: Styles,
    write: Callable[[bytes], object],
    cell_path: Callable[[str], None] | None = None,
) -> None:
    """The part from `raw` with `edits` applied, written through `write` as it is made.
    `cell_path(reason)` is told each time a row takes the lxml cell path instead of being
    edited as bytes (the write's route is reported: `xlsx_patch.WritePath`)."""
    part = SheetPart(raw)
    if edits.layout is not None:
        part.head = part.unmask(
            lay_out_head(part.head, part.root_open, part.fragment, edits.layout)
        )
    out = _Output(write)
    out.add(_edit_head(part, edits))
    writer = _RowWriter(part, edits, styles, out, cell_path or _ignored)
    rows = part.rows()
    while True:
        for span in part.rows_before(writer.waiting()):
            writer.copy(span)
        row = next(rows, None)
        if row is None:
            break
        writer.row(*row)
    writer.finish()
    tail: Iterable[bytes] = part.tail()
    if edits.layout is not None:
        tail = [part.unmask(lay_out_tail(b"".join(tail), part.fragment, edits.layout))]
    if edits.drawing is not None:
        out.add(_with_drawing(part, b"".join(tail), edits.drawing))
    else:
        for piece in tail:
            out.add(piece)
    out.flush()


class _Output:
    """Gathers small pieces so the deflater sees a few large writes, not one per row."""

    def __init__(self, write: Callable[[bytes], object]) -> None:
        self.write, self.size = write, 0
        self.pieces: list[bytes] = []

    def add(self, data: bytes) -> None:
        self.pieces.append(data)
        self.size += len(data)
        if self.size >= FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.pieces:
            self.write(b"".join(self.pieces))
        self.pieces, self.size = [], 0


def _ignored(reason: str) -> None:
    """No one asked which path the rows took."""


NOT_PLAIN = "its rows are not written in the plain transitional namespace"
ODD_ROW = "row %d is not plain cells (a comment, a namespace, a cell without its reference...)"
ODD_VALUE = "row %d holds a value only the cell path writes (a heading, a share, odd text...)"


class _RowWriter:
    """Rows in order: untouched ones copied as bytes, changed and new ones edited in batches."""

    def __init__(
        self,
        part: SheetPart,
        edits: SheetEdits,
        styles: Styles,
        out: _Output,
        cell_path: Callable[[str], None],
    ) -> None:
        self.part, self.edits, self.styles, self.out = part, edits, styles, out
        self.todo, self.next = edits.touched(), 0
        self.plain = RowBytes(part.prefix) if part.plain else None  # rows edited as bytes
        self.batch: list[bytes] = []
        self.cell_path = cell_path

    def row(self, number: int, data: bytes) -> None:
        self._new_rows_before(number)
        if number in self.edits.rows:
            self._new_row(number)
        elif number in self.edits.cells:
            edited = self.plain and self.plain.edit(data, self.edits.cells[number], self.styles)
            if edited:
                self._flush()  # rows stay in order
                self.out.add(edited)
            else:
                self.cell_path(self._why_cells(number))
                self._edit(data)
        elif not self.edits.clear or self._kept(number):
            self._flush()
            self.out.add(data)
        if self.next < len(self.todo) and self.todo[self.next] == number:
            self.next += 1

    def _why_cells(self, number: int) -> str:
        """Why an edited row takes the cell path (only asked when it does)."""
        if self.plain is None:
            return NOT_PLAIN
        values = self.edits.cells[number].values()
        odd = any(_content(self.plain.prefix, v, self.styles.epoch) is None for v in values)
        return (ODD_VALUE if odd else ODD_ROW) % number

    def waiting(self) -> int:
        """The next row to edit or write afresh (one past any row when there is none); in a
        tab replaced whole, the first row kept until it is passed, so that no run of rows
        copied or dropped together reaches over it."""
        number = self.todo[self.next] if self.next < len(self.todo) else 1 << 62
        kept = self.edits.kept_from
        if self.edits.clear and kept is not None and self.part.last < kept:
            return min(number, kept)
        return number

    def _kept(self, number: int) -> bool:
        """Whether an old row of a tab replaced whole stays (read as far cells)."""
        return self.edits.kept_from is not None and number >= self.edits.kept_from

    def copy(self, rows: bytes) -> None:
        """Rows before `waiting()`, untouched: kept as they are, or dropped with the tab
        (`self.part.last`: the last of them)."""
        if not self.edits.clear or self._kept(self.part.last):
            self._flush()
            self.out.add(rows)

    def finish(self) -> None:
        self._new_rows_before(None)
        self._flush()

    def _new_rows_before(self, number: int | None) -> None:
        while self.next < len(self.todo) and (number is None or self.todo[self.next] < number):
            self._new_row(self.todo[self.next])
            self.next += 1

    def _new_row(self, number: int) -> None:
        """A row written afresh: as bytes when every value is of a plain kind (the first
        sync writes millions of cells), else through lxml like an edited row."""
        fresh = self.edits.rows.get(number)
        if fresh is not None:
            values = {c: v for c, v in enumerate(fresh, start=1) if v is not None and v != ""}
        else:
            values = self.edits.cells.get(number, {})
        data = new_row(self.part.prefix, number, values, self.styles) if self.part.plain else None
        if data is None:
            self.cell_path(NOT_PLAIN if not self.part.plain else ODD_VALUE % number)
            self._edit(self._empty_row(number))
            return
        self._flush()  # rows stay in order
        if data or fresh is None:  # a row written afresh as blank has no element
            self.out.add(data or self._empty_row(number))

    def _empty_row(self, number: int) -> bytes:
        return b'<%srow r="%d"/>' % (self.part.prefix, number)

    def _edit(self, data: bytes) -> None:
        self.batch.append(data)
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        root = self.part.fragment(b"".join(self.batch))
        self.batch = []
        if root[0].tag != main_tag("row"):
            raise PatchUnsupported("a worksheet not in the transitional namespace")
        for row in list(root):
            if not self._apply(row):
                root.remove(row)
        self.out.add(self.part.unmask(serialise(root)))

    def _apply(self, row: etree._Element) -> bool:
        """Edit one row; False when it is left with no cells (a row written afresh as blank)."""
        number = int(row.get("r", "0"))  # every row written or edited has its number
        fresh = self.edits.rows.get(number)
        if fresh is not None:
            values = {c: v for c, v in enumerate(fresh, start=1) if v is not None and v != ""}
            _set_cells(row, number, values, self.styles)
            return len(row) > 0
        _set_cells(row, number, self.edits.cells.get(number, {}), self.styles)
        return True


def _set_cells(row: etree._Element, number: int, values: dict, styles: Styles) -> None:
    """Set each column's value, adding cells where the row has none, in column order."""
    if not values:
        return
    if not len(row):  # a new or rewritten row: cells in order, nothing to look up
        for column, value in sorted(values.items()):
            cell = etree.SubElement(row, CELL, r=f"{get_column_letter(column)}{number}")
            set_cell(cell, value, styles)
        return
    cells: dict[int, etree._Element] = {}
    for c in row:
        ref = c.get("r")
        if ref is None:
            raise PatchUnsupported("cells without references")
        cells[split_ref(ref)[1]] = c
    order = sorted(cells)
    for column, value in sorted(values.items()):
        found = cells.get(column)
        if found is None:
            found = etree.Element(CELL, r=f"{get_column_letter(column)}{number}")
            position = bisect_left(order, column)
            if position == len(order):
                row.append(found)
            else:
                cells[order[position]].addprevious(found)
            order.insert(position, column)
            cells[column] = found
            row.attrib.pop("spans", "")
        set_cell(found, value, styles)


def _edit_head(part: SheetPart, edits: SheetEdits) -> bytes:
    """The head without its `<dimension>` (optional; readers recompute it), new columns
    sized, and the sheetData start tag (opened even when it was empty)."""
    prefix = re.escape(part.prefix)
    head = re.sub(
        rb"<" + prefix + rb"dimension\b[^>]*?(?:/>|>.*?</" + prefix + rb"dimension>)",
        b"",
        part.head,
        flags=re.S,
    )
    if edits.widths:
        head = _with_widths(part, head, edits.widths)
    return head + b"<" + part.prefix + b"sheetData>"


def _with_widths(part: SheetPart, head: bytes, widths: dict[int, float]) -> bytes:
    """A `<col>` for each new column no existing `<col>` covers; `<cols>` added if missing
    (it comes right before sheetData)."""
    prefix = re.escape(part.prefix)
    m = re.search(
        rb"<" + prefix + rb"cols\b(?:[^>]*/>|[^>]*>.*?</" + prefix + rb"cols>)", head, re.S
    )
    body = m.group() if m else b"<" + part.prefix + b"cols/>"
    root = part.fragment(body)
    cols = root[0]
    covered = [(int(c.get("min", 0)), int(c.get("max", 0))) for c in cols]
    for column, width in sorted(widths.items()):
        if any(low <= column <= high for low, high in covered):
            continue
        col = etree.Element(main_tag("col"), min=str(column), max=str(column))
        col.set("width", f"{width:g}")
        col.set("customWidth", "1")
        later = [c for c in cols if int(c.get("min", 0)) > column]
        if later:
            later[0].addprevious(col)
        else:
            cols.append(col)
    new = part.unmask(serialise(root))
    return head[: m.start()] + new + head[m.end() :] if m else head + new


DRAWING_ORDER = (  # what comes after <drawing> in a worksheet, in the schema's order
    b"legacyDrawing",
    b"legacyDrawingHF",
    b"drawingHF",
    b"picture",
    b"oleObjects",
    b"controls",
    b"webPublishItems",
    b"tableParts",
    b"extLst",
)
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _with_drawing(part: SheetPart, tail: bytes, rel_id: str) -> bytes:
    """The tail with its `<drawing>` (if any) replaced by one showing `rel_id` ("": none)."""
    prefix = re.escape(part.prefix)
    tail = re.sub(rb"<" + prefix + rb"drawing\s[^>]*?/>", b"", tail)
    if not rel_id:  # no chart left to draw
        return tail
    element = b'<%sdrawing xmlns:r="%s" r:id="%s"/>' % (part.prefix, REL, rel_id.encode())
    later = rb"<" + prefix + rb"(?:" + b"|".join(DRAWING_ORDER) + rb")[\s/>]"
    m = re.search(later + rb"|</" + re.escape(part.root_name) + rb"\s*>", tail)
    if m is None:
        raise PatchUnsupported("a worksheet without its end tag")
    return tail[: m.start()] + element + tail[m.start() :]

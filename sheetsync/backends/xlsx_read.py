"""Reading an .xlsx workbook's tabs as grids of cells, exactly as calamine gives them, in a
memory bounded by a slice of the largest tab rather than by the tab.

calamine parses a whole tab at once and holds its cells twice while it does: ~300 MB for the
follow-up tab of a 100 k-customer workbook, more than any other step of a run. So a tab over
SLICED_PART is cut into slices of whole rows, each written as a tab of its own into one
package beside (a temporary file holding the workbook's styles, shared strings and date
system, and those rows). calamine reads that package as it reads the workbook, and each
slice becomes Python rows while the next ones are parsed. Whatever cannot be cut safely (a
comment or CDATA among the rows, a slice whose first row has no number, rows out of order,
no room for the temporary file) is read whole, as before, and the reason logged at debug
level. A slice calamine cannot read is an error (SliceUnreadable), never a quiet second read.

A tab holding a cell far from the others (XFD1048576) is read without it, from a package
beside made the same way, and the far cells are handed over beside the grid (`xlsx_far`):
calamine would make the tab a dense grid from A1 to that cell.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import io
import logging
import os
import re
import tempfile
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

from lxml import etree
from python_calamine import CalamineError, CalamineWorkbook

from sheetsync.backends.xlsx_far import Grid, cut_far, far_sheet, scan
from sheetsync.backends.xlsx_package import Package, PatchUnsupported, main_tag
from sheetsync.backends.xlsx_rows import ROW_NUMBER, SheetPart
from sheetsync.errors import BackendError
from sheetsync.workbook.parsing import SERIAL_RANGE

BIG_PART = 16 << 20  # a sheet part this large (~8 k rows) is parsed beside the others
SLICED_PART = 48 << 20  # a sheet part this large (~25 k rows) is read a slice at a time
PIECE = 8 << 20  # a slice: ~4.5 k follow-up rows, ~15 MB of parsed cells
AHEAD = 2  # tabs or slices being parsed while the one before them becomes rows
POOLED = frozenset({str, dt.date, dt.datetime})  # never equal to each other, nor to a number
OTHER_FORMATS = (".xls", ".xla", ".xlsb", ".ods")  # calamine's reader by name, not content
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
KEPT = {"styles": "xl/styles.xml", "sharedStrings": "xl/sharedStrings.xml"}  # what calamine reads
# A package whose parts cannot be listed or scanned (an .xls or .ods file, a part cut off or
# missing): calamine reads it as it is and says what is wrong with it.
UNREADABLE_PACKAGE = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    StopIteration,
    EOFError,
    etree.LxmlError,
    OSError,
    ValueError,
)
log = logging.getLogger("sheetsync.xlsx")


class SliceUnreadable(BackendError):
    """A slice of a large tab that calamine could not read: said as such, never passed over
    by reading the tab whole (which would hide a fault of the slices' package)."""


def _calamine(path: str | os.PathLike) -> CalamineWorkbook:
    """The workbook read lazily from disk. calamine picks its reader by the file's extension:
    an .xlsx workbook someone named team.xls is handed over as bytes, whose content calamine
    reads for what it is."""
    if Path(path).suffix.lower() in OTHER_FORMATS:
        return CalamineWorkbook.from_filelike(io.BytesIO(Path(path).read_bytes()))
    return CalamineWorkbook.from_path(os.fspath(path))


def read_grids(path: str | os.PathLike) -> dict[str, list[list]]:
    """Every tab's grid, in tab order (`_read_all`). A number in a date-formatted cell that
    calamine cannot make a date (-1E+15 typed into 上次跟进日期) makes it panic, which would
    end the run without a word about the cell: the workbook is then read again from a copy
    beside in which such numbers lost their date format (`_dates_unformatted`), so each is
    read as the number typed and the row is told, like any other cell that holds no date.
    The panic's own lines on standard error are Rust's, printed before Python hears of it;
    the log's next line says what they were and that the run went on (standard error is
    left alone: it is the process's, not the reader's)."""
    try:
        return _read_all(path)
    except BaseException as exc:  # noqa: BLE001  (a Rust panic is no Exception; others: raised)
        if not _panicked(exc):
            raise
        unreadable = BackendError(
            f"{path} is not a readable .xlsx workbook: the .xlsx reader (calamine) stopped on "
            f"one of its cells ({exc})"
        )
    try:
        with tempfile.TemporaryDirectory(prefix="sheetsync-", ignore_cleanup_errors=True) as held:
            copy = Path(held) / f"dates{Path(path).suffix}"
            if not _dates_unformatted(path, copy):
                raise unreadable  # no such number: a panic of another kind, said as it is
            log.warning(
                "%s: the .xlsx reader (calamine) stopped on a number no date can be, in a cell "
                "formatted as a date (the panic above): read again with such numbers as "
                "numbers; 校验提示 names their rows",
                path,
            )
            try:
                return _read_all(copy)
            except BaseException as again:  # noqa: BLE001  (as above)
                if not _panicked(again):
                    raise
                raise unreadable from None
    except OSError as exc:  # no room for the copy
        raise BackendError(f"no room for a temporary file to read {path}: {exc}") from None


def _panicked(exc: BaseException) -> bool:
    """Whether `exc` is a Rust panic raised through pyo3 (a BaseException, not importable)."""
    return type(exc).__name__ == "PanicException"


# A number cell of a sheet part: its attributes and its value (any namespace prefix).
_NUMBER_CELL = re.compile(
    rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)c\b(?P<a>[^>]*?)>(?P<v>\s*"
    # a formula before the value: written out, or one cell of a shared formula (<f .../>)
    rb"(?:<(?P=p)f\b[^>]*?/>|<(?P=p)f\b[^>]*>[^<]*</(?P=p)f>)?\s*"
    rb"<(?P=p)v>(?P<n>[^<]*)</(?P=p)v>)"
)
_STYLE = re.compile(rb"\ss\s*=\s*(\"[^\"]*\"|'[^']*')")
_TYPE = re.compile(rb"\st\s*=\s*[\"']([^\"']*)[\"']")


def _dates_unformatted(path: str | os.PathLike, target: Path) -> bool:
    """A copy of the workbook at `target` in which every number cell outside Excel's dates
    (below 0, after 9999-12-31) has no style: calamine reads it as the number it holds
    instead of a date it cannot make. Every other part is copied as it is. Whether any
    cell was changed. Only made after a panic, so each sheet part is held whole while it
    is rewritten."""
    changed = False

    def plain(cell: re.Match[bytes]) -> bytes:
        kind = _TYPE.search(cell["a"])
        if kind is not None and kind[1] != b"n":
            return cell[0]
        try:
            number = float(cell["n"])
        except ValueError:
            return cell[0]
        if 0 <= number <= SERIAL_RANGE[1] or not _STYLE.search(cell["a"]):  # up to 9999-12-31
            return cell[0]
        nonlocal changed
        changed = True
        return b"<" + cell["p"] + b"c" + _STYLE.sub(b"", cell["a"]) + b">" + cell["v"]

    with zipfile.ZipFile(path) as source:
        sheets = {part for part, _ in _sheet_parts(path).values()}
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
            for item in source.infolist():
                data = source.read(item)
                out.writestr(
                    item.filename,
                    _NUMBER_CELL.sub(plain, data) if item.filename in sheets else data,
                )
    return changed


def _read_all(path: str | os.PathLike) -> dict[str, list[list]]:
    """Every tab's grid, in tab order, sharing one pool (see `read_grid`). The largest tab,
    when large, is parsed by calamine in a thread of its own (calamine parses without the
    interpreter lock, one workbook object per thread) while the others are read; when very
    large, a slice at a time (`_read_sliced`). calamine reads the parts from the file as it
    needs them: handed the file's bytes, each workbook object would hold a copy of them.
    A tab with cells far from the others is read from a package beside (`xlsx_far`)."""
    parts = _sheet_parts(path)
    far = _far_boxes(path, parts)
    if not far:
        return _read_grids(_Tabs(path), parts)
    try:
        folder = tempfile.TemporaryDirectory(prefix="sheetsync-", ignore_cleanup_errors=True)
    except OSError as exc:
        raise BackendError(f"no room for a temporary file to read far cells: {exc}") from None
    with folder:
        beside = Path(folder.name) / "far.xlsx"
        tabs = _Tabs(path, beside, *_cut_far_cells(path, parts, far, beside))
        return _read_grids(tabs, parts)


class _Tabs:
    """Where each tab is parsed: the workbook, or for a tab with far cells the package
    beside (`moved`: title -> its number there), where `b{n}` is the tab without them and
    `f{n}` the far cells one under the other (with `cells`: title -> their places)."""

    def __init__(
        self, path, beside: Path | None = None, moved: dict | None = None, cells: dict | None = None
    ) -> None:
        self.path, self.beside = path, beside
        self.moved, self.cells = moved or {}, cells or {}
        self.books = {path: _calamine(path)}  # the main thread's workbook objects, by source
        self.names = self.books[path].sheet_names

    def parse(self, books: dict, name: str):
        """The tab `name` parsed by calamine, with `books`' workbook objects (one per thread)."""
        source, sheet = self.path, name
        if name in self.moved:
            source, sheet = self.beside, f"b{self.moved[name]}"
        if source not in books:
            books[source] = _calamine(source)
        return books[source].get_sheet_by_name(sheet)

    def grid(self, books: dict, name: str, sheet, pool: dict) -> list[list]:
        grid = read_grid(sheet, pool)
        if name not in self.moved:
            return grid
        beside = self.beside
        if beside is None:  # every tab moved is read from the package beside
            raise BackendError(f"tab {name}: its far cells' package is missing")
        if beside not in books:
            books[beside] = _calamine(beside)
        far = books[beside].get_sheet_by_name(f"f{self.moved[name]}")
        values = [row[0] if row else "" for row in far.to_python(skip_empty_area=False)]
        keep = pool.setdefault
        placed = [
            (row, column, keep(v, v) if type(v) in POOLED else v)
            for (row, column), v in zip(self.cells[name], values, strict=False)
            if v != "" and v is not None
        ]
        return Grid(grid, placed, {row for row, _ in self.cells[name]})


def _far_boxes(path, parts: dict[str, tuple[str, int]]) -> dict[str, tuple]:
    """The tabs with cells far from the others: title -> (namespace prefix, the body's last
    row and column, whether written plainly: `xlsx_far.scan`). Each part's references are scanned as bytes (`xlsx_far.scan`); a part
    that cannot be scanned is left to calamine, which says what is wrong with it."""
    found = {}
    try:
        file = zipfile.ZipFile(path)
    except UNREADABLE_PACKAGE as exc:
        log.debug("%s: not scanned for far cells (%s)", path, exc)
        return {}
    with file:
        for title, (part, _) in parts.items():
            try:
                with file.open(part) as raw:
                    prefix, box, plain = scan(raw)
            except UNREADABLE_PACKAGE as exc:
                log.debug("%s: tab %s not scanned for far cells (%s)", path, title, exc)
                continue
            if box is not None:
                found[title] = (prefix, box, plain)
    return found


def _cut_far_cells(path, parts, far: dict, target: Path) -> tuple[dict, dict]:
    """The package beside: each far tab `n` as `b{n}` without its far cells and `f{n}` with
    them, the workbook's styles, shared strings and date system. Title -> n, and title ->
    where its far cells were (row, column), in the order `f{n}` holds them."""
    moved: dict[str, int] = {}
    places: dict[str, list[tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as source:
        package = Package(source)
        flag = package.xml(package.workbook_part()).find(main_tag("workbookPr"))
        date1904 = flag.get("date1904") if flag is not None else None
        kept = _kept_parts(package)
        try:
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
                for n, (title, (prefix, box, plain)) in enumerate(far.items()):
                    with (
                        source.open(parts[title][0]) as raw,
                        out.open(f"xl/worksheets/b{n}.xml", "w", force_zip64=True) as body,
                    ):
                        cut = cut_far(raw, prefix, box, title, body.write, plain)
                    out.writestr(f"xl/worksheets/f{n}.xml", far_sheet(cut, prefix))
                    moved[title] = n
                    places[title] = [(row, column) for row, column, _ in cut.far]
                for kind, name in kept.items():
                    out.writestr(KEPT[kind], source.read(name))
                names = [f"{k}{n}" for n in range(len(moved)) for k in "bf"]
                _write_book(out, names, date1904, set(kept))
        except OSError as exc:
            raise BackendError(f"no room for a temporary file to read far cells: {exc}") from None
    return moved, places


def _read_grids(tabs: _Tabs, parts: dict[str, tuple[str, int]]) -> dict[str, list[list]]:
    path, books = tabs.path, tabs.books
    pool: dict = {}  # one object per distinct text or date, across every tab
    names = tabs.names
    big = max(parts, key=lambda t: parts[t][1], default=None)
    if big is None or big not in names or parts[big][1] <= BIG_PART:
        return {name: tabs.grid(books, name, tabs.parse(books, name), pool) for name in names}
    if parts[big][1] > SLICED_PART and big not in tabs.moved:
        try:
            folder = tempfile.TemporaryDirectory(prefix="sheetsync-", ignore_cleanup_errors=True)
        except OSError as exc:  # no room for the slices: read whole, as below
            log.debug("%s: tab %s read whole, no room for its slices (%s)", path, big, exc)
            folder = None
        if folder is not None:
            with folder:
                book = books[path]
                return _read_sliced(tabs, book, big, parts[big][0], pool, Path(folder.name))
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read") as thread:
        parsed = thread.submit(tabs.parse, {}, big)
        made = {
            name: tabs.grid(books, name, tabs.parse(books, name), pool)
            for name in names
            if name != big
        }
        made[big] = tabs.grid(books, big, parsed.result(), pool)
    return {name: made[name] for name in names}


def _sheet_parts(path: str | os.PathLike) -> dict[str, tuple[str, int]]:
    """Each tab's sheet part and its size; {} when the package's parts cannot be told (then
    every tab is read in turn, and calamine says what is wrong with the file)."""
    try:
        with zipfile.ZipFile(path) as file:
            return {
                title: (part, file.getinfo(part).file_size)
                for title, part in Package(file).sheet_parts().items()
            }
    except UNREADABLE_PACKAGE as exc:
        log.debug("%s: its parts could not be listed (%s); every tab read in turn", path, exc)
        return {}


def read_grid(sheet, pool: dict) -> list[list]:
    """A tab's cells from A1, as calamine's `to_python(skip_empty_area=False)` gives them, but
    row by row with each distinct text or date held once (`pool`): at 100 k customers the
    same owner, stage and date fill millions of cells, and a separate object for each made
    most of the run's memory. Numbers and booleans are left as they are (1 == 1.0 == True
    would merge them)."""
    if sheet.end is None:
        return []
    height, width = sheet.end[0] + 1, sheet.end[1] + 1
    grid = _rows(sheet.iter_rows(), pool, width)
    grid[:0] = [[""] * width for _ in range(height - len(grid))]
    return grid


def _rows(cells, pool: dict, width: int) -> list[list]:
    """calamine's rows with each text or date taken from `pool`, and each row's empty
    columns before its first cell put back (a row `width` wide from column A)."""
    keep = pool.setdefault
    rows = [[keep(v, v) if type(v) in POOLED else v for v in row] for row in cells]
    for row in rows:
        if len(row) < width:
            row[:0] = [""] * (width - len(row))
    return rows


class _Uncut(Exception):
    """A tab that cannot be cut into slices safely: it is read whole."""


def _read_sliced(
    tabs: _Tabs, book, big: str, part: str, pool: dict, folder: Path
) -> dict[str, list[list]]:
    """`read_grids` with the tab `big` read a slice at a time, through a package in `folder`.
    Two threads parse (the other tabs from the workbook, the slices from the package), at
    most AHEAD ahead of the main thread, which makes each parsed tab or slice into rows in
    tab and row order."""
    path, books = tabs.path, threading.local()  # calamine: one workbook object per thread
    own: dict = {}  # this thread's workbook objects (`_Tabs`)

    def parsed(source: str | os.PathLike, name: str):
        if getattr(books, "source", None) != source:
            books.source, books.book = source, _calamine(source)
        return books.book.get_sheet_by_name(name)

    sliced = folder / "slices.xlsx"
    made: dict[str, list[list]] = {}
    grid: _Grid | None = _Grid(pool)
    with concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="read") as threads:
        cut = threads.submit(_cut, path, part, sliced)

        def tasks():
            for name in book.sheet_names:
                if name != big:
                    yield name, lambda n=name: tabs.parse(_books(books), n)
            for k in range(_slice_count(cut, path, big)):
                yield k, lambda k=k: parsed(sliced, f"s{k}")

        for key, parsing in _ahead(threads, tasks()):
            if isinstance(key, str):
                made[key] = tabs.grid(own, key, parsing.result(), pool)
            elif grid is not None:
                grid = _placed(grid, _slice(parsing, path, big, key), path, big)
            del parsing  # its cells, freed before the next ones are parsed
    if grid is None or not grid.rows:
        made[big] = read_grid(book.get_sheet_by_name(big), pool)
    else:
        log.debug("%s: tab %s read in %d slices", path, big, grid.slices)
        made[big] = grid.finish()
    return {name: made[name] for name in book.sheet_names}


def _slice_count(cut: concurrent.futures.Future, path: str | os.PathLike, title: str) -> int:
    """How many slices the tab `title` was cut into; 0 when it cannot be cut safely (read
    whole, why logged)."""
    try:
        return int(cut.result())
    except _Uncut as exc:
        log.debug("%s: tab %s read whole, not in slices: %s", path, title, exc)
        return 0


def _placed(grid: _Grid, sheet, path: str | os.PathLike, title: str) -> _Grid | None:
    """`grid` with the slice `sheet` placed; None when the slices cannot be placed (rows
    out of order: the tab is read whole, why logged)."""
    try:
        grid.place(sheet)
    except _Uncut as exc:
        log.debug("%s: tab %s read whole, not in slices: %s", path, title, exc)
        return None
    return grid


def _slice(parsing: concurrent.futures.Future, path: str | os.PathLike, title: str, k: int):
    """The slice `k` of tab `title` as calamine parsed it; SliceUnreadable if it could not."""
    try:
        return parsing.result()
    except CalamineError as exc:
        raise SliceUnreadable(
            f"{path} is not a readable .xlsx workbook: tab {title} could not be read a slice "
            f"of rows at a time (slice {k + 1}: {exc})"
        ) from exc


def _books(local: threading.local) -> dict:
    """The calling thread's workbook objects, by source."""
    if not hasattr(local, "tabs"):
        local.tabs = {}
    return local.tabs


def _ahead(threads: concurrent.futures.Executor, tasks):
    """(key, future) of each (key, task) in order, the next AHEAD tasks running meanwhile.
    Those not started when the caller stops are cancelled."""
    pending: collections.deque = collections.deque()
    try:
        while True:
            while len(pending) < AHEAD and (task := next(tasks, None)) is not None:
                pending.append((task[0], threads.submit(task[1])))
            if not pending:
                return
            key, running = pending.popleft()
            yield key, running
    finally:
        for _, running in pending:
            running.cancel()


class _Grid:
    """A tab's rows from A1, made from parsed slices placed one under the other."""

    def __init__(self, pool: dict) -> None:
        self.pool, self.width, self.slices = pool, 0, 0
        self.rows: list[list] = []

    def place(self, sheet) -> None:
        """The slice's rows, at their own row numbers under the rows placed so far."""
        if sheet.end is None:
            return
        top, right = sheet.start[0], sheet.end[1]
        if top < len(self.rows):
            raise _Uncut("rows out of order")
        # From its first row and column (iter_rows would give every row above it, empty)
        rows = _rows(sheet.to_python(skip_empty_area=True), self.pool, right + 1)
        self.rows.extend([] for _ in range(top - len(self.rows)))
        self.rows.extend(rows)
        self.width = max(self.width, right + 1)
        self.slices += 1

    def finish(self) -> list[list]:
        for row in self.rows:
            if len(row) < self.width:
                row.extend([""] * (self.width - len(row)))
        return self.rows


def _cut(path: str | os.PathLike, part: str, target: Path) -> int:
    """Write the sheet part `part` as slices of whole rows, each the tab `s0`, `s1`, ... of a
    package at `target` holding the workbook's styles, shared strings and date system; the
    number of slices. _Uncut when the rows cannot be cut safely or the package not written."""
    with zipfile.ZipFile(path) as source:
        package = Package(source)
        book_part = package.workbook_part()
        flag = package.xml(book_part).find(main_tag("workbookPr"))
        date1904 = flag.get("date1904") if flag is not None else None
        kept = _kept_parts(package)
        try:
            with (
                package.open(part) as raw,
                zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out,
            ):
                count = _write_slices(raw, out)
                for kind, name in kept.items():
                    out.writestr(KEPT[kind], source.read(name))
                _write_book(out, [f"s{k}" for k in range(count)], date1904, set(kept))
        except PatchUnsupported as exc:
            raise _Uncut(str(exc)) from None
        except OSError as exc:  # no room for it: read whole, as before
            raise _Uncut(str(exc)) from None
    return count


def _kept_parts(package: Package) -> dict[str, str]:
    """The styles and shared strings calamine reads: at their usual paths, whatever the
    workbook's relationships say (calamine 0.9 looks nowhere else)."""
    names = set(package.zip.namelist())
    return {kind: name for kind, name in KEPT.items() if name in names}


def _write_slices(raw, out: zipfile.ZipFile) -> int:
    sheet = SheetPart(raw)
    if sheet.empty or re.search(rb"encoding\s*=\s*[\"'](?!utf-8)", sheet.head[:100], re.I):
        raise _Uncut("no rows, or not UTF-8")
    prefix = sheet.prefix
    end_row, end_rows = b"</" + prefix + b"row>", b"</" + prefix + b"sheetData>"
    first_row = re.compile(rb"<" + re.escape(prefix) + rb"row[\s/>]")
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + sheet.root_open
        + b"<" + prefix + b"sheetData>"
    )  # fmt: skip
    tail = end_rows + b"</" + sheet.root_name + b">"
    reader, count = sheet.reader, 0
    rows, reader.buf = reader.buf[reader.pos :], b""  # what it read past <sheetData> first

    def slice_of(rows: bytes) -> None:
        nonlocal count
        _check_slice(rows, end_rows, first_row)
        with out.open(f"xl/worksheets/s{count}.xml", "w") as member:
            for data in (head, rows, tail):
                member.write(data)
        count += 1

    while True:
        more = raw.read(PIECE)
        rows += more
        if not more:  # the last rows: up to </sheetData>
            end = rows.find(end_rows)
            if end < 0:
                raise _Uncut("a worksheet part is cut off")
            rows = rows[:end]
        while len(rows) > PIECE:  # whole rows, about PIECE bytes of them
            cut = rows.rfind(end_row, 0, PIECE)
            cut = rows.find(end_row, PIECE) if cut < 0 else cut  # a row over PIECE
            if cut < 0:
                break  # the row goes on in what is read next
            cut += len(end_row)
            slice_of(rows[:cut])
            rows = rows[cut:]
        if not more:
            if rows.strip():
                slice_of(rows)
            return count


def _check_slice(rows: bytes, end_rows: bytes, first_row: re.Pattern[bytes]) -> None:
    """_Uncut unless `rows` can be a slice of their own, read as they are in the tab."""
    if _odd(rows) or end_rows in rows:  # could hide or end the rows
        raise _Uncut("comments, CDATA or the end of the rows among the rows")
    first = first_row.search(rows)
    if not first or not ROW_NUMBER.search(rows, first.start(), rows.find(b">", first.start())):
        raise _Uncut("a slice whose first row has no number")  # calamine would count from 1


def _odd(rows: bytes) -> bool:
    """Whether the rows hold a comment, CDATA or a processing instruction (`<!`, `<?`).
    Looking for `<!` stops at every "<", a few per cell; "!" and "?" are rare in a sheet's
    XML (a task's text may hold a few), so each is found first and its "<" checked."""
    for mark in (b"!", b"?"):
        at = rows.find(mark)
        while at >= 0:
            if rows[at - 1 : at] == b"<":
                return True
            at = rows.find(mark, at + 1)
    return False


def _write_book(out: zipfile.ZipFile, names: list[str], date1904: str | None, kept: set) -> None:
    """The package's workbook: its tabs `names` (each the part worksheets/{name}.xml), and
    the workbook's date system."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    book = etree.Element(main_tag("workbook"), nsmap=_namespaces(main, r=REL))
    if date1904 is not None:
        etree.SubElement(book, main_tag("workbookPr"), date1904=date1904)
    sheets = etree.SubElement(book, main_tag("sheets"))
    rels = etree.Element(f"{{{PACKAGE_REL}}}Relationships", nsmap=_namespaces(PACKAGE_REL))
    for k, name in enumerate(names):
        tab = {"name": name, "sheetId": str(k + 1), f"{{{REL}}}id": f"rId{k + 1}"}
        etree.SubElement(sheets, main_tag("sheet"), tab)
        _relate(rels, f"rId{k + 1}", "worksheet", f"worksheets/{name}.xml")
    for kind in sorted(kept):
        _relate(rels, f"rId{kind}", kind, KEPT[kind].removeprefix("xl/"))
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    content = etree.Element(f"{{{types}}}Types", nsmap=_namespaces(types))
    etree.SubElement(content, f"{{{types}}}Default", Extension="xml", ContentType="application/xml")
    etree.SubElement(
        content,
        f"{{{types}}}Default",
        Extension="rels",
        ContentType="application/vnd.openxmlformats-package.relationships+xml",
    )
    top = etree.Element(f"{{{PACKAGE_REL}}}Relationships", nsmap=_namespaces(PACKAGE_REL))
    _relate(top, "rId1", "officeDocument", "xl/workbook.xml")
    out.writestr("[Content_Types].xml", etree.tostring(content, xml_declaration=True))
    out.writestr("_rels/.rels", etree.tostring(top, xml_declaration=True))
    out.writestr("xl/workbook.xml", etree.tostring(book, xml_declaration=True))
    out.writestr("xl/_rels/workbook.xml.rels", etree.tostring(rels, xml_declaration=True))


def _namespaces(default: str, **prefixed: str) -> dict[str, str]:
    """An element's namespace map: `default` unprefixed, and `prefixed`. lxml takes None as
    the default namespace's prefix; its stubs list only str (hence the Any)."""
    found: dict[Any, str] = {None: default, **prefixed}
    return found


def _relate(rels: etree._Element, rel_id: str, kind: str, target: str) -> None:
    etree.SubElement(
        rels,
        f"{{{PACKAGE_REL}}}Relationship",
        Id=rel_id,
        Type=f"{REL}/{kind}",
        Target=target,
    )

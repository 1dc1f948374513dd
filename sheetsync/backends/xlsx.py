"""The embedded default: a local .xlsx workbook, read with calamine and written by patching
only the sheets that change (openpyxl when that can't be done).

The file is never left half-written (save to a temporary file beside it, then an atomic
rename), a file someone saved in Excel while we computed is never overwritten (its bytes
are compared with what we read), and two syncs never run at once (a lock file beside it).
A workbook reached through a symbolic link is written where the link points; the link stays.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import hashlib
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from copy import copy as copied
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree

import openpyxl
from filelock import FileLock, Timeout
from lxml import etree
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineError

from sheetsync.backends.xlsx_cells import AMOUNT_FORMAT, PERCENT_FORMAT, fit_text, is_non_finite
from sheetsync.backends.xlsx_charts import build_chart
from sheetsync.backends.xlsx_far import Reach, free_rows
from sheetsync.backends.xlsx_layout import apply_to_sheet, print_landscape
from sheetsync.backends.xlsx_package import (
    APP_PROPERTIES_MOST,
    PARSER,
    PatchUnsupported,
    restore_cached_values,
)
from sheetsync.backends.xlsx_patch import OPENPYXL, WritePath, patch_into
from sheetsync.backends.xlsx_read import read_grids
from sheetsync.backends.xlsx_rows import RowsRead, rows_read
from sheetsync.errors import BackendError, ConflictError, LockedError
from sheetsync.memory import give_back_freed_memory
from sheetsync.workbook.changes import Amount, Changeset, Chart, Heading, Share
from sheetsync.workbook.template import TabContent, WorkbookContent

log = logging.getLogger("sheetsync.xlsx")  # under the run's "sheetsync" logger
DATE_FORMAT = "yyyy-mm-dd"
EXCEL, LIBREOFFICE = "Excel/WPS", "LibreOffice"


def real_path(path: str | os.PathLike) -> Path:
    """The file itself, through any symbolic links: renaming over a link would replace it."""
    return Path(os.path.realpath(path))


HEAD_BYTES = 4096  # where an XML part's declarations would be
MB = 1e6
DENSE_FROM = MB  # a part smaller than this is never refused for its ratio (a few kB pack well)


def _parsed_a_row_at_a_time(part: zipfile.ZipInfo) -> bool:
    """Parts the write never parses whole: worksheets, the shared strings, a huge app.xml."""
    name = part.filename
    if name == "docProps/app.xml":
        return part.file_size > APP_PROPERTIES_MOST
    return name.startswith("xl/worksheets/") or name.endswith("sharedStrings.xml")


def lock_path(path: str | os.PathLike) -> Path:
    real = real_path(path)  # one lock per file, however it is reached
    return real.with_name(f".{real.name}.sheetsync.lock")


class XlsxBackend:
    def __init__(
        self,
        path: str | os.PathLike,
        for_write: bool = False,
        limits: tuple[float, float] = (1024, 100),
    ) -> None:
        self.link = Path(path)  # as given: what the user calls the workbook
        self.limits = limits  # a part's inflated MB and ratio at most (settings max_part_*)
        self.path = real_path(path)
        self.location = str(self.link)
        self.origin = getattr(path, "origin", "")  # config.Written: where the path was set
        self._lock = FileLock(lock_path(self.path), timeout=0) if for_write else None
        self.timezone: str | None = None  # a file has no time zone of its own
        self._digest = ""
        self._grids: dict[str, list[list]] | None = None  # as read, until `keep_rows`
        self._rows: dict[str, RowsRead] | None = None  # what the write compares rows with
        self.last_write: WritePath | None = None  # the path the last write took, and why

    def __enter__(self) -> XlsxBackend:
        if self._lock is not None:
            if not self.path.parent.is_dir():
                raise BackendError(f"folder {self.path.parent} does not exist")
            try:
                self._lock.acquire()
            except Timeout:
                raise LockedError(
                    f"another sync is running on {self.link}; try again when it ends"
                ) from None
            except OSError as exc:  # a lock file made a link, a directory, unreadable ...
                raise BackendError(
                    f"cannot take the lock file {self._lock.lock_file} "
                    f"({exc.strerror or type(exc).__name__}); remove it if no sync is running"
                ) from None
            self._remove_stale_copies()
        return self

    def _remove_stale_copies(self) -> None:
        """A save killed between writing its temporary copy and the rename leaves the copy
        beside the workbook. We hold the lock, so no save is under way: every copy is stale."""
        name = self.path.name
        ours = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")  # mkstemp's names
        for copy in self.path.parent.glob(f".{glob.escape(name)}.*.tmp"):
            if ours.fullmatch(copy.name) and copy.is_file():
                with contextlib.suppress(OSError):  # not ours to fail a sync over
                    copy.unlink()

    def tab_url(self, title: str) -> str:
        """Nothing: a file has no address to link a row to (a mail names the file and row)."""
        return ""

    def found(self) -> list[tuple[str, dict]]:
        """Nothing: a file is written only when no one has it open (held_by), all or nothing."""
        return []

    def held_by(self) -> str | None:
        """Who has the workbook open in Excel, WPS or LibreOffice, from the owner file each
        leaves beside it; None when no one has. Writing under an open workbook loses work:
        its next save overwrites ours, and people lose what they typed if they reload."""
        for path in dict.fromkeys([self.path, self.link]):
            holder = excel_holder(path) or libreoffice_holder(path)
            if holder:
                return holder
        return None

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()

    @contextlib.contextmanager
    def _reading(self):
        """The workbook's file errors as messages that say what to do."""
        try:
            yield
        except FileNotFoundError:
            where = f" ({self.origin})" if self.origin else ""
            raise BackendError(
                f"workbook {self.link.absolute()} not found{where}; "
                f"create it with `python3 run.py init {self.link}`"
            ) from None
        except OSError as exc:
            raise BackendError(f"cannot read {self.link}: {exc.strerror or exc}") from None

    def _within_limits(self) -> None:
        """Refuse a package whose parts say they would inflate past the limits, from its
        directory alone: before calamine inflates anything, before anything is mailed."""
        most_mb, most_ratio = self.limits
        try:
            with zipfile.ZipFile(self.path) as package:
                parts = package.infolist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return  # not a package: the read says what is wrong with the file
        self._no_declarations(parts)
        for part in parts:
            size, packed = part.file_size, max(part.compress_size, 1)
            big = size > most_mb * MB
            dense = size > DENSE_FROM and size / packed > most_ratio
            if big or dense:
                raise BackendError(
                    f"{self.link}: part {part.filename} would inflate to {size / 1e6:,.0f} MB, "
                    f"{size / packed:,.0f} times its packed size (at most {most_mb:,.0f} MB and "
                    f"{most_ratio:,.0f} times: settings max_part_mb, max_ratio); not read, "
                    "nothing mailed or written"
                )

    def _no_declarations(self, parts: list[zipfile.ZipInfo]) -> None:
        """Refuse a part declaring a DOCTYPE or entities (XXE, billion laughs), or a part the
        write parses whole that is not well-formed XML: the write parses app.xml,
        [Content_Types].xml, the relationships and the styles again, and one of them failing
        there came after the day's mail had gone out. A declaration can only stand before the
        root element, so each part's first bytes tell; the worksheets and shared strings are
        parsed a row at a time by the write (see `SheetPart.fragment`), an app.xml too large
        for any program's is not parsed at all (`_list_title`)."""
        with zipfile.ZipFile(self.path) as package:
            for part in parts:
                if not part.filename.endswith((".xml", ".rels")):
                    continue
                whole = not _parsed_a_row_at_a_time(part)
                with package.open(part) as stream:
                    data = stream.read() if whole else stream.read(HEAD_BYTES)
                if b"<!DOCTYPE" in data[:HEAD_BYTES] or b"<!ENTITY" in data[:HEAD_BYTES]:
                    raise BackendError(
                        f"{self.link}: part {part.filename} declares a DOCTYPE or entities, "
                        "which no spreadsheet program writes and the sync does not read; "
                        "save the workbook again from Excel, WPS or LibreOffice. Not read, "
                        "nothing mailed or written"
                    )
                if whole:
                    try:
                        etree.fromstring(data, PARSER)
                    except etree.XMLSyntaxError as exc:
                        raise BackendError(
                            f"{self.link}: part {part.filename} is not well-formed XML "
                            f"({exc}); save the workbook again from Excel, WPS or LibreOffice. "
                            "Not read, nothing mailed or written"
                        ) from None

    def read(self) -> dict[str, list[list]]:
        """Every tab's grid, all from one version of the file. The file is fingerprinted,
        then calamine reads it from disk (its bytes are not held between the read and the
        write: ~30 MB at 100 k customers, three times over while calamine read them from
        memory). calamine opens the file more than once and reads it lazily, so a save
        landing meanwhile (Excel saves by renaming a new file over the old) could give tabs
        of two versions, and mail computed from them: the file is read again until it did
        not change while it was read. A save after that is caught by the write."""
        for _ in range(READ_TRIES):
            with self._reading(), self.path.open("rb") as file:
                digest = hashlib.file_digest(file, "sha256").hexdigest()
                before = _version(os.fstat(file.fileno()))
            self._within_limits()
            try:
                with self._reading():
                    grids = read_grids(self.path)
            except (CalamineError, zipfile.BadZipFile, ValueError) as exc:
                if self._moved(before):
                    continue  # cut short by a save: read what was saved
                raise BackendError(
                    f"{self.link} is not a readable .xlsx workbook ({exc})"
                ) from None
            except BackendError:
                if self._moved(before):
                    continue  # gone for a moment while a save renamed its new file over it
                raise
            if not self._moved(before):
                break
        else:
            raise ConflictError(
                f"{self.link} kept changing while it was read; nothing was sent or written. "
                "Run the sync again."
            )
        give_back_freed_memory()  # calamine's cells, freed: ~200 MB at 100 k customers
        self._digest, self._grids, self._rows = digest, grids, None
        return grids

    def keep_rows(self, titles: set[str]) -> None:
        """Only the tabs `titles` may be replaced whole by the write: their rows are kept as
        the write compares them (`RowsRead`, a fraction of their memory) and the grids are
        let go, so the rest of the run does not carry them (~70 MB at 100 k customers)."""
        self._rows = rows_read({t: g for t, g in (self._grids or {}).items() if t in titles})
        self._grids = None

    def _rows_read(self) -> dict[str, RowsRead]:
        return self._rows if self._rows is not None else rows_read(self._grids or {})

    def _moved(self, before: tuple) -> bool:
        """Whether the file is no longer the version fingerprinted (`before`)."""
        try:
            return _version(os.stat(self.path)) != before
        except OSError:
            return True

    def _check_unchanged(self, file: io.BufferedReader) -> None:
        """Stop unless `file` (open at its start) holds what was read (or last written).
        Hashed as it is read: the bytes are not held (~30 MB at 100 k customers)."""
        if hashlib.file_digest(file, "sha256").hexdigest() != self._digest:
            raise ConflictError.said("changed_meanwhile", path=self.link)

    def _unchanged_since_read(self) -> None:
        with self._reading(), self.path.open("rb") as file:
            self._check_unchanged(file)

    @contextlib.contextmanager
    def _source(self):
        """The file open at its start, checked unchanged since read: the write patches the
        bytes read through this handle, which a save renaming a new file over the workbook
        does not change (one writing into it is caught by the check before the rename, or
        as the parts fail to read). On Windows a save cannot rename over the file while it
        is open, so one landing meanwhile fails and is made again; Excel's own saves cannot
        land then (an open workbook stops the run). Closed before our rename, which Windows
        refuses over an open file too."""
        with self._reading():
            file = self.path.open("rb")
        with file:
            with self._reading():
                self._check_unchanged(file)
                file.seek(0)
            yield file

    def write(self, changes: Changeset) -> WritePath:
        """Apply `changes` (all or nothing) by the path `_write_changes` chooses; that path,
        with why, is logged at debug level, kept as `last_write` and returned."""
        if not self._digest:
            raise BackendError("write() before read()")
        self._unchanged_since_read()  # before a temporary file is made
        if changes.renames:  # unchanged since read: each header still reads as planned
            changes = dataclasses.replace(
                changes, cells=[*changes.renames, *changes.cells], renames=[]
            )
        try:
            path = self._write_changes(changes)
        except (etree.LxmlError, ElementTree.ParseError) as exc:  # one the read let through
            raise BackendError(
                f"{self.link}: a part of the workbook could not be parsed for the write "
                f"({exc}); the file is as it was; save it again from Excel, WPS or LibreOffice"
            ) from None
        self._grids, self._rows = None, {}  # no longer the file's rows: a next write rewrites
        log.debug("%s written by %s", self.link, path, extra={"write_path": path})
        self.last_write = path
        return path

    def _write_changes(self, changes: Changeset) -> WritePath:
        """The one place that chooses how the file is written. The patcher streams only the
        sheets that change: each changed row edited as bytes (ROW_EDITS), or, for a row the
        byte editor does not take (odd XML, a heading, a prefixed namespace), parsed and edited
        with lxml (CELL_PATH). A package the patcher cannot handle at all (1904 dates with
        charts, no styles part, an encrypted part ...) raises PatchUnsupported before anything
        is renamed, and goes through openpyxl whole (OPENPYXL), never for a first sync."""
        old = self._rows_read()
        folder = str(self.path.parent)  # room for the write is needed only there
        taken: list[WritePath] = []

        def patched(out: BinaryIO) -> None:  # streamed into the temporary file as it is made
            with self._source() as source:
                try:
                    taken.append(patch_into(source, changes, out, old, folder))
                except Exception:
                    # A program writing into the file meanwhile: its parts no longer read as
                    # listed. Said as what it is, not as a broken zip.
                    self._unchanged_since_read()
                    raise

        try:
            self._replace_file(patched)
        except PatchUnsupported as exc:  # raised before the rename: the file is as it was
            with self._source() as source, self._reading():
                data = source.read()
            self._replace_file(restore_cached_values(data, rewrite_with_openpyxl(data, changes)))
            return WritePath(OPENPYXL, str(exc))
        return taken[0]

    def _replace_file(self, data: bytes | Callable[[BinaryIO], None], replacing: bool = True):
        """Write beside the file, then rename over it: all or nothing. A failure (disk full,
        the file locked by Excel on Windows, a crash) leaves the old file as it was. `data`
        is the new file's bytes, or a function writing them into the open temporary file."""
        try:
            written = self._write_and_rename(data, replacing)
        except OSError as exc:
            hint = " (is it open in Excel?)" if isinstance(exc, PermissionError) else ""
            reason = exc.strerror or str(exc)
            raise BackendError(
                f"cannot save {self.link}: {reason}{hint}; nothing was changed"
            ) from None
        self._digest = (  # what a next write in this session checks against
            hashlib.sha256(written).hexdigest()
            if isinstance(written, bytes)
            else written.hexdigest()
        )

    def _write_and_rename(
        self, data: bytes | Callable[[BinaryIO], None], replacing: bool
    ) -> bytes | hashlib._Hash:
        """The new file beside the workbook, renamed over it; its bytes, or their hash
        when they were written by a function (`_replace_file`)."""
        written: bytes | hashlib._Hash
        folder, prefix = self.path.parent, f".{self.path.name}."
        handle, temp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
        try:
            with os.fdopen(handle, "w+b") as out:
                if callable(data):
                    data(out)
                    out.seek(0)
                    digest = hashlib.sha256()
                    while chunk := out.read(1 << 20):
                        digest.update(chunk)
                    written = digest  # the file is read again if written again
                else:
                    out.write(data)
                    written = data
                out.flush()
                os.fsync(out.fileno())
            if replacing:
                os.chmod(temp, self.path.stat().st_mode & 0o777)
                self._unchanged_since_read()
            else:  # a new file: the permissions any other new file would get, not mkstemp's 0600
                os.chmod(temp, 0o666 & ~_umask())
            os.replace(temp, self.path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return written

    def create(self, content: WorkbookContent, force: bool = False) -> None:
        """A new workbook from the template; an existing file is kept unless `force`."""
        if self.path.exists() and not force:
            raise BackendError(f"{self.link} already exists; use --force to replace it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        book = openpyxl.Workbook()
        for first in book.worksheets:  # its one empty sheet
            book.remove(first)
        for tab in content.tabs:
            sheet = book.create_sheet(tab.title)
            fill(sheet, tab.rows)
            _style(sheet, tab, content)
            if tab.layout is not None:  # the follow-up tab: panes, filter, printing
                apply_to_sheet(sheet, tab.layout)
            if tab.hidden:
                sheet.sheet_state = "hidden"
        self._replace_file(_to_bytes(book), replacing=False)


READ_TRIES = 3  # reads of a file saved again while it was read, before giving up


def _version(stat: os.stat_result) -> tuple:
    """Which version of the file: a save replaces it (another inode) or rewrites it (another
    size or modification time)."""
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _to_bytes(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_with_openpyxl(data: bytes, changes: Changeset) -> bytes:
    """The general path, for packages the patcher does not handle. Read with its rich text:
    without it openpyxl saves a cell people wrote in runs (a bold word) as plain text."""
    book = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)
    for change in [*changes.new_headers, *changes.cells]:
        put(book[change.tab].cell(change.row, change.column), change.new)
    for title, rows in changes.replace.items():
        sheet = _fresh_sheet(book, title)
        fill(sheet, rows)
        if title in changes.hidden:  # the sync's memory: not a tab people work in
            sheet.sheet_state = "hidden"
    for title, rows in changes.append.items():
        sheet = book[title] if title in book.sheetnames else book.create_sheet(title)
        for number, row in zip(_free_rows(sheet, len(rows)), rows, strict=True):
            fill(sheet, [row], start=number)
    for title, charts in changes.charts.items():
        drawn: Any = book[title] if title in book.sheetnames else book.create_sheet(title)
        drawn._charts = [_chart(drawn, chart) for chart in charts]  # redrawn, never added twice
    for title, layout in changes.layout.items():
        apply_to_sheet(
            book[title] if title in book.sheetnames else book.create_sheet(title), layout
        )
    return _to_bytes(book)


def _chart(sheet: Worksheet, spec: Chart):
    """A native Excel chart from the spec (the same one the patcher grafts)."""
    return build_chart(sheet.title, spec)


def put(cell, value: object) -> None:
    """Text always stays text: "=HYPERLINK(...)" typed as a name is never run as a formula.
    Nothing Excel cannot open is written: text is cut at its limit, inf and nan are blank."""
    if isinstance(value, str):
        cell.value = fit_text(value)
        cell.data_type = "s"
        if isinstance(value, Heading):
            cell.font = Font(bold=True)
    elif is_non_finite(value):
        cell.value = None
    else:
        cell.value = float(value) if isinstance(value, (Share, Amount)) else value
    if hasattr(value, "year"):
        cell.number_format = DATE_FORMAT
    if isinstance(value, (Share, Amount)):
        cell.number_format = PERCENT_FORMAT if isinstance(value, Share) else AMOUNT_FORMAT


def fill(sheet: Worksheet, rows: list[list], start: int = 1) -> None:
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                put(sheet.cell(r, c), value)


def _free_rows(sheet: Worksheet, count: int) -> list[int]:
    """Where `count` rows appended go (`xlsx_far.free_rows`): from the cells that hold a value,
    not max_row (formatted empty rows count there: appending after them would leave a gap),
    nor row by row from it (a cell at XFD1048576 would make a million rows of 16 k cells)."""
    used = sorted({row for (row, _), cell in sheet._cells.items() if cell.value is not None})
    return free_rows(used, count)


def _fresh_sheet(book: openpyxl.Workbook, title: str) -> Worksheet:
    """An empty sheet in the old one's place, keeping its column widths and frozen panes."""
    if title not in book.sheetnames:
        return book.create_sheet(title)
    old = book[title]
    index = book.sheetnames.index(title)
    widths = {k: d.width for k, d in old.column_dimensions.items() if d.width}
    panes = old.freeze_panes
    book.remove(old)
    new = book.create_sheet(title, index)
    for key, width in widths.items():
        new.column_dimensions[key].width = width
    new.freeze_panes = panes
    new.page_setup, new.sheet_properties.pageSetUpPr = (
        old.page_setup,
        old.sheet_properties.pageSetUpPr,
    )
    for (row, column), cell in _far_cells(old):  # someone's, far from the sync's rows: kept
        kept = new.cell(row, column)
        kept.value, kept._style = cell.value, copied(cell._style)
    return new


def _far_cells(sheet: Worksheet) -> list:
    """The cells holding a value far from the tab's table (`xlsx_far`), as the reader leaves
    them out: ((row, column), cell)."""
    used = [(key, cell) for key, cell in sheet._cells.items() if cell.value is not None]
    box = Reach({r for (r, _), _ in used}, {c for (_, c), _ in used}).body()
    if box is None:
        return []
    return [((r, c), cell) for (r, c), cell in used if r > box[0] or c > box[1]]


def _style(sheet: Worksheet, tab: TabContent, content: WorkbookContent) -> None:
    """Bold coloured header (sync-owned columns in their own colour), frozen, sized."""
    if tab.form or not tab.rows:
        return _style_form(sheet, tab, content)
    for column, cell in enumerate(sheet[1], start=1):
        colour = content.sync_header_fill if column in tab.sync_columns else content.header_fill
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=colour)
    for column, width in enumerate(tab.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    _add_aids(sheet, tab)


def _style_form(sheet: Worksheet, tab: TabContent, content: WorkbookContent) -> None:
    """Titles bold, each small table's header row coloured; a form has no frozen row and
    prints landscape, as wide as the page."""
    for column, width in enumerate(tab.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    print_landscape(sheet)
    previous: list = []
    for number, row in enumerate(tab.rows, start=1):
        filled = [v for v in row if v not in (None, "")]
        if len(filled) == 1 and not previous:
            sheet.cell(number, 1).font = Font(bold=True, size=12)
        elif previous and len([v for v in previous if v not in (None, "")]) == 1:
            for column in range(1, len(row) + 1):
                sheet.cell(number, column).font = Font(bold=True)
                sheet.cell(number, column).fill = PatternFill("solid", fgColor=content.header_fill)
        previous = row


AIDS_ROWS = 5000  # how far down the dropdowns and colours reach in a new workbook


def _add_aids(sheet: Worksheet, tab: TabContent) -> None:
    """Dropdowns (a warning, not a block: the sync validates anyway) and row colours."""
    for column, values in tab.choices.items():
        letter = get_column_letter(column)
        rule = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
        )
        rule.add(f"{letter}2:{letter}{AIDS_ROWS}")
        sheet.add_data_validation(rule)
    if tab.status_column:
        status = get_column_letter(tab.status_column)
        rows = f"A2:{get_column_letter(len(tab.widths))}{AIDS_ROWS}"
        for word, colour in tab.row_colours.items():
            fill = PatternFill("solid", fgColor=colour, bgColor=colour)
            sheet.conditional_formatting.add(
                rows, FormulaRule(formula=[f'${status}2="{word}"'], fill=fill)
            )


def excel_holder(path: Path) -> str | None:
    """Excel and WPS keep an owner file `~$NAME` beside an open workbook."""
    owner = path.with_name(f"~${path.name}")
    if not owner.is_file():
        return None
    try:
        name = owner_name(owner.read_bytes()[:1024])
    except OSError:  # Excel on Windows may hold it exclusively: open, by someone unnamed
        name = None
    return f"{EXCEL} ({name})" if name else EXCEL


WIDE_AT, WIDE_MOST, NARROW_MOST = 56, 54, 53  # an owner file's UTF-16 name, and the lengths


def owner_name(data: bytes) -> str | None:
    """The user name in an owner file. Byte 0 is its length in the ANSI code page and the
    name follows; at offset 54 a 16-bit count and the name again in UTF-16LE, read first
    since it needs no guess of the code page. Anything that does not fit gives None."""
    count = int.from_bytes(data[WIDE_AT - 2 : WIDE_AT], "little")
    wide = data[WIDE_AT : WIDE_AT + 2 * count]
    if 0 < count <= WIDE_MOST and len(wide) == 2 * count:
        name = _plausible(wide.decode("utf-16-le", errors="replace"))
        if name:
            return name
    narrow = data[1 : 1 + data[0]] if data else b""
    if not 0 < len(narrow) <= NARROW_MOST or len(narrow) != data[0]:
        return None
    return _plausible(narrow.decode("gb18030", errors="replace"))  # 简体 Windows: GBK


def _plausible(name: str) -> str | None:
    name = name.strip(" \x00")
    return name if name and name.isprintable() and "\ufffd" not in name else None


def libreoffice_holder(path: Path) -> str | None:
    """LibreOffice keeps `.~lock.NAME#` beside an open file: one line, `Full name,user,host,
    date,profile;`, with a backslash before any comma, semicolon or backslash in a field."""
    lock = path.with_name(f".~lock.{path.name}#")
    if not lock.is_file():
        return None
    try:
        line = lock.read_bytes()[:4096].decode("utf-8", errors="replace").split("\n")[0]
    except OSError:
        line = ""
    fields = [re.sub(r"\\(.)", r"\1", f) for f in re.findall(r"((?:\\.|[^\\,;])*)[,;]", line)]
    name = next((n for n in map(_plausible, fields[:2]) if n), None)
    return f"{LIBREOFFICE} ({name})" if name else LIBREOFFICE

"""Moving the logs' old rows to the archive (issue 25 item 4): which rows and what 历史汇总
keeps of them are rules/archive.py's; this is the writing, in the order that loses nothing.

1. The rows are added to the archive workbook (an .xlsx beside the workbook, or a Google
   spreadsheet the settings name), under the same tab titles and headers, cell for cell as
   people left them (their own columns and notes too).
2. Only once that write succeeded, one write of the workbook removes them and updates
   历史汇总; a backend applies a changeset whole or not at all, so the digest and the rows
   left never disagree.

A run stopped between the two leaves the rows in both; the next run moves them again and the
archive adds only the rows it does not hold yet (counted by their cells: two identical rows
stay two), so nothing is archived twice. On Google without an archive spreadsheet nothing
moves and the sync log says why: the sync does not create a spreadsheet that would belong to
its service account, which people could not see or share.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from sheetsync.backends import (
    feishu_backend,
    google_backend,
    looks_like_feishu,
    looks_like_sheet,
    shared_sheet,
    uses_feishu,
    uses_google,
)
from sheetsync.config import Settings
from sheetsync.errors import BackendError
from sheetsync.loading import Loaded
from sheetsync.rules.archive import LOGS, cutoff, digest_rows, moved_sheet, old_rows, updated
from sheetsync.workbook.changes import Changeset
from sheetsync.workbook.messages import lang, listed, say
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.terms import normalise_header

SUFFIX = {"zh": "-归档", "zh-Hant": "-歸檔", "en": "-archive"}


def archive_location(settings: Settings, workbook: str, locale: str) -> str:
    """The archive's path or key: the setting, else "<name>-归档.xlsx" beside an .xlsx."""
    if settings.archive.workbook:
        return settings.archive.workbook
    if shared_sheet(settings):  # an online sheet: never one the sync account would own
        return ""
    path = Path(workbook)
    suffix = SUFFIX.get(locale, SUFFIX.get(lang(locale), SUFFIX["zh"]))
    return str(path.with_name(f"{path.stem}{suffix}{path.suffix or '.xlsx'}"))


def moving(loaded: Loaded, today: dt.date, keep_months: int) -> dict[str, list[int]]:
    """Log key -> the sheet rows (1-based) old enough to move; only logs with some."""
    before = cutoff(today, keep_months)
    found = {}
    for key in LOGS:
        sheet = getattr(loaded, key)
        if key == "history" and loaded.history_unread:
            continue  # a tab not read with confidence is left as people have it
        rows = old_rows(sheet, key, before)
        if rows:
            found[key] = rows
    return found


def archive(
    backend, grids: dict[str, list[list]], loaded: Loaded, settings: Settings, today: dt.date
) -> tuple[bool, list[str]]:
    """Move the rows older than `settings.archive.keep_months` out of the workbook: whether
    the workbook was written (it must then be read again), and lines for the sync log."""
    locale = loaded.locale
    moves = moving(loaded, today, settings.archive.keep_months)
    if not moves or not settings.archive.enabled:
        return False, []
    count = sum(len(r) for r in moves.values())
    where = archive_location(settings, str(backend.location), locale)
    if not where:
        return False, [say("archive_needs_sheet", locale, count=count)]
    tabs = {key: getattr(loaded, key) for key in moves}
    rows = {key: [grids[tabs[key].title][r - 1] for r in moves[key]] for key in moves}
    headers = {key: list(grids[tabs[key].title][tabs[key].header_row - 1]) for key in moves}
    try:
        _write_archive(settings, where, {tabs[k].title: (headers[k], rows[k]) for k in moves})
    except (BackendError, OSError) as exc:
        return False, [say("archive_failed", locale, reason=_reason(exc))]
    digest = updated(
        loaded.digest,
        before=cutoff(today, settings.archive.keep_months),
        **{
            name: moved_sheet(tabs[key], grids[tabs[key].title], moves[key])
            for key, name in (("history", "history"), ("stage_log", "stages"), ("sync_log", "runs"))
            if key in moves
        },
    )
    changes = Changeset()
    for key, numbers in moves.items():
        gone = set(numbers)
        grid = grids[tabs[key].title]
        changes.replace[tabs[key].title] = [r for i, r in enumerate(grid, 1) if i not in gone]
    title = loaded.titles["archive_digest"]
    changes.replace[title] = digest_rows(digest, locale)
    changes.hidden.add(title)
    try:
        backend.write(changes)
    except BackendError as exc:  # the archive holds them; the next run moves them again
        return False, [say("archive_failed", locale, reason=_reason(exc))]
    names = listed([tabs[k].title for k in moves], locale)
    before = cutoff(today, settings.archive.keep_months).isoformat()
    said = say("archived", locale, count=count, tabs=names, before=before, where=where)
    return True, [said]


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _write_archive(settings: Settings, where: str, moved: dict[str, tuple[list, list[list]]]):
    """Add the moved rows to the archive: each tab's rows it does not hold yet, under its
    header (a header the archive's tab lacks is added after its last one)."""
    if looks_like_feishu(where) or uses_feishu(settings):
        with feishu_backend(settings, where) as book:
            _add(book, book.read(), moved)
        return
    if looks_like_sheet(where) or uses_google(settings):
        with google_backend(settings, where) as book:
            _add(book, book.read(), moved)
        return
    from sheetsync.backends.xlsx import XlsxBackend  # an .xlsx archive: loaded only when used

    path = Path(where)
    if not path.exists():
        _create(path, moved)
        return
    with XlsxBackend(path, for_write=True) as book:
        grids = book.read()
        holder = book.held_by()
        if holder:  # their next save would drop the rows added now
            raise BackendError(f"{path} is open in {holder}")
        _add(book, grids, moved)


def _create(path: Path, moved: dict[str, tuple[list, list[list]]]) -> None:
    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.workbook.template import TabContent, WorkbookContent

    tabs = [TabContent(t, [_trimmed(h), *rows]) for t, (h, rows) in moved.items()]
    XlsxBackend(path).create(WorkbookContent(tabs, "D9E1F2", "FCE4D6"))


def _add(book, grids: dict[str, list[list]], moved: dict[str, tuple[list, list[list]]]) -> None:
    changes = Changeset()
    for title, (header, rows) in moved.items():
        held = [r for r in grids.get(title, []) if any(not is_blank(v) for v in r)]
        if not held:
            changes.replace[title] = [_trimmed(header), *rows]
            continue
        theirs = list(held[0])
        names = [normalise_header(v) for v in theirs]
        extra = [h for h in header if not is_blank(h) and normalise_header(h) not in names]
        wide = _trimmed(theirs) + extra
        spots = [normalise_header(v) for v in wide]
        placed = [_placed(header, row, spots) for row in rows]
        have = Counter(_key(r) for r in held[1:])
        new = []
        for row in placed:  # a row the archive holds (a run stopped half-way) is not added
            if have[_key(row)] > 0:
                have[_key(row)] -= 1
            else:
                new.append(row)
        if extra:  # its header grows: the tab written whole, its rows as they are
            changes.replace[title] = [wide, *held[1:], *new]
        elif new:
            changes.append[title] = new
    if changes.replace or changes.append:
        book.write(changes)


def _placed(header: list, row: list, spots: list[str]) -> list:
    """A row under the archive's header: each cell in the column of the same header (cells
    under no header keep their place past the headers)."""
    out = [None] * len(spots)
    for i, value in enumerate(row):
        name = normalise_header(header[i]) if i < len(header) and not is_blank(header[i]) else None
        if name is not None and name in spots:
            out[spots.index(name)] = value
        else:
            out += [None] * max(0, i + 1 - len(out))
            if out[i] is None:
                out[i] = value
    return out


def _trimmed(row: list) -> list:
    row = list(row)
    while row and is_blank(row[-1]):
        row.pop()
    return row


def _key(row: list) -> tuple:
    """A row by its cells as text (a date and its datetime, 3 and 3.0, alike)."""
    out = []
    for value in _trimmed(row):
        if is_blank(value):
            out.append("")
        elif isinstance(value, dt.datetime):
            out.append(value.date().isoformat() if value.time() == dt.time() else value.isoformat())
        elif isinstance(value, dt.date):
            out.append(value.isoformat())
        elif isinstance(value, float) and value.is_integer():
            out.append(str(int(value)))
        else:
            out.append(str(value).strip())
    return tuple(out)

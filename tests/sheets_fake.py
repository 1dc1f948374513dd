"""A small Google Sheets API v4 on 127.0.0.1, holding spreadsheets in memory, for the real
gspread + google-auth client to talk to over HTTP.

It answers with the real API's shapes where the backend relies on them: a fresh sheet is
1000 x 26; a whole-sheet range reads back as `'title'!A1:Z1000`; trailing empty cells and
rows are trimmed and an empty range has no `values` key; titles that need it are quoted;
UNFORMATTED_VALUE gives dates as serial numbers; a batchUpdate is all or nothing; writing
past the grid is a 400; errors are {"error": {"code", "message", "status"}}, and a 429 is
Google's quota error with its `details`, as recorded in gspread's test cassettes. It also
counts requests and bytes, can fail the next requests (429/5xx, Retry-After), refuse every
request for a stretch of time as a per-minute quota does, or delay them, and can run a hook
between the sync's read and its write, as a person editing the sheet would.

Like Google where the sync relies on it (tests/sheets_semantics.py; checked against facts from
gspread's recorded sessions by tests/test_sheets_fake_facts.py): what is typed is stored as
Google stores it and read in every render option; formulas read with a computed value;
sortRange, insert/deleteDimension, merge/unmergeCells and values:append; a body over 10 MiB
and a spreadsheet past 10 M cells refused as Google refuses them (`max_body`, `max_cells`);
Google's refusal bodies on demand (`answer_next`: NOT_SHARED, PROTECTED, service_disabled());
requests left unanswered, before or after being applied (`hang_next`); `person` and `type`
for what people do in the browser.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import sheets_semantics as google

STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
TOKEN = "fake-access-token"
PROJECT = "1071851248496"
MAX_BODY = 10_485_760
MAX_CELLS = 10_000_000
# Google's answers, in its words (bodies as reported in public issues and forums)
NOT_SHARED = {
    "code": 403,
    "message": "The caller does not have permission",
    "status": "PERMISSION_DENIED",
}
PROTECTED = {
    "code": 400,
    "message": "You are trying to edit a protected cell or object. Please contact the "
    "spreadsheet owner to remove protection if you need to edit.",
    "status": "INVALID_ARGUMENT",
}


def service_disabled(project: str = PROJECT) -> dict:
    """403 when the Sheets API is not enabled in the service account's Cloud project."""
    url = "https://console.developers.google.com/apis/api/sheets.googleapis.com/overview"
    url += f"?project={project}"
    return {
        "code": 403,
        "message": f"Google Sheets API has not been used in project {project} before or it is "
        f"disabled. Enable it by visiting {url} then retry. If you enabled this API recently, "
        "wait a few minutes for the action to propagate to our systems and retry.",
        "status": "PERMISSION_DENIED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "consumer": f"projects/{project}",
                    "activationUrl": url,
                },
            }
        ],
    }


class FakeClock:
    """Time that passes only when the client waits: the fake reads it for "now", the client's
    pause function advances it, so a minute of quota refusals takes no real time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def quota_error(method: str) -> dict:
    """Google's answer when a per-minute quota is used up: reads and writes are metered
    apart; no Retry-After header comes with it."""
    kind = "Read" if method == "GET" else "Write"
    return {
        "error": {
            "code": 429,
            "message": f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests "
            f"per minute per user' of service 'sheets.googleapis.com' for consumer "
            f"'project_number:{PROJECT}'.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "sheets.googleapis.com",
                        "consumer": f"projects/{PROJECT}",
                        "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
                        "quota_limit": f"{kind}RequestsPerMinutePerUser",
                    },
                }
            ],
        }
    }


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def col_letter(n: int) -> str:  # 1-based
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def quote(title: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title)
    if plain and not re.fullmatch(r"[A-Za-z]{1,3}\d+", title):  # 'D3' reads as a cell: quoted
        return title
    return "'" + title.replace("'", "''") + "'"


@dataclass
class Sheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    hidden: bool = False  # SheetProperties.hidden: kept from addSheet, shown in metadata
    cells: dict = field(default_factory=dict)  # (row0, col0) -> {"v": value, "date": bool}
    frozen_rows: int = 0
    frozen_cols: int = 0  # gridProperties.frozenColumnCount
    basic_filter: dict | None = None  # Sheet.basicFilter, from setBasicFilter
    widths: dict = field(default_factory=dict)  # col0 -> pixelSize (updateDimensionProperties)
    borders: list = field(default_factory=list)  # updateBorders requests, as sent
    protected: list = field(default_factory=list)
    validations: list = field(default_factory=list)
    conditional: list = field(default_factory=list)
    formats: list = field(default_factory=list)
    charts: list = field(default_factory=list)  # EmbeddedChart resources, chartId assigned
    merges: list = field(default_factory=list)  # GridRanges merged (mergeCells)

    def grid(self) -> list[list]:
        if not self.cells:
            return []
        by_row: dict[int, dict[int, object]] = {}  # one pass over the cells, not rows x cols
        for (r, c), cell in self.cells.items():
            if c < self.cols:  # a formula reads as its value
                by_row.setdefault(r, {})[c] = (
                    google.render(self, r, c, cell, "UNFORMATTED_VALUE", "SERIAL_NUMBER")
                    if "formula" in cell
                    else cell.get("v", "")
                )
        height = max(r for r, _ in self.cells) + 1
        out = []
        for r in range(height):
            found = by_row.get(r)
            row = [found.get(c, "") for c in range(max(found) + 1)] if found else []
            while row and row[-1] == "":
                row.pop()
            out.append(row)
        while out and not out[-1]:
            out.pop()
        return out

    def set(self, r: int, c: int, cell: dict | None) -> None:
        if r >= self.rows or c >= self.cols:
            raise ApiError(
                400,
                f"Range ('{self.title}'!{col_letter(c + 1)}{r + 1}) exceeds grid limits. "
                f"Max rows: {self.rows}, max columns: {self.cols}",
            )
        if cell is None or (cell.get("v", "") == "" and "formula" not in cell):
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = cell


BROWSER_ACTIONS = {
    "sortRange": google.sort_range,
    "insertDimension": lambda sheet, args: google.insert_dimension(sheet, args["range"]),
    "deleteDimension": lambda sheet, args: google.delete_dimension(sheet, args["range"]),
    "mergeCells": google.merge_cells,
    "unmergeCells": google.unmerge_cells,
}


def _metadata_matches(book: Book, data_filter: dict) -> list[dict]:
    """The spreadsheet-level developer metadata a DataFilter's developerMetadataLookup selects
    (by metadataId and/or metadataKey; other lookups are not emulated)."""
    lookup = data_filter.get("developerMetadataLookup", {})
    return [
        m
        for m in book.developer_metadata
        if all(m.get(k) == lookup[k] for k in ("metadataId", "metadataKey") if k in lookup)
    ]


def _create_metadata(book: Book, args: dict) -> dict:
    """CreateDeveloperMetadataRequest: the id given (or one assigned) must be new; only the
    spreadsheet location is emulated."""
    meta = dict(args["developerMetadata"])
    used = [m["metadataId"] for m in book.developer_metadata]
    if meta.get("metadataId") in used:
        raise ApiError(
            400,
            f"Invalid requests[0].createDeveloperMetadata: Developer metadata with ID "
            f"{meta['metadataId']} already exists.",
        )
    meta.setdefault("metadataId", max([100, *used]) + 1)
    meta.setdefault("visibility", "DOCUMENT")
    book.developer_metadata.append(meta)
    return {"createDeveloperMetadata": {"developerMetadata": meta}}


def _update_metadata(book: Book, args: dict) -> dict:
    """UpdateDeveloperMetadataRequest: every metadata the filters select gets the `fields`."""
    found = [m for f in args.get("dataFilters", []) for m in _metadata_matches(book, f)]
    for meta in found:
        for name in args["fields"].split(","):
            meta[name.strip()] = args["developerMetadata"].get(name.strip())
    return {"updateDeveloperMetadata": {"developerMetadata": found}}


def _delete_metadata(book: Book, args: dict) -> dict:
    """DeleteDeveloperMetadataRequest: what the filter selects is deleted (none: nothing)."""
    gone = _metadata_matches(book, args["dataFilter"])
    book.developer_metadata = [m for m in book.developer_metadata if m not in gone]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": gone}}


DEVELOPER_METADATA = {
    "createDeveloperMetadata": _create_metadata,
    "updateDeveloperMetadata": _update_metadata,
    "deleteDeveloperMetadata": _delete_metadata,
}


@dataclass
class Book:
    key: str
    title: str = "sheetsync"
    time_zone: str = "Asia/Shanghai"
    sheets: list[Sheet] = field(default_factory=list)
    shared: bool = True
    next_id: int = 1000
    # spreadsheet-level DeveloperMetadata resources (create/update/deleteDeveloperMetadata)
    developer_metadata: list = field(default_factory=list)

    def by_title(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise ApiError(400, f"Unable to parse range: {title}")

    def by_id(self, sheet_id: int) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}")


def _split_range(text: str) -> tuple[str, str]:
    """ "'客户 跟进'!A1:D2" -> ("客户 跟进", "A1:D2"); a bare title -> (title, "")."""
    title, bang, a1 = text.rpartition("!")
    if not bang:
        title, a1 = text, ""
    return (title[1:-1].replace("''", "'") if title.startswith("'") else title), a1


def _cell_value(data: dict) -> dict | None:
    value = data.get("userEnteredValue")
    if not value:
        return None
    if "formulaValue" in value:
        return {"v": "", "formula": value["formulaValue"]}  # computed when read
    ((kind, v),) = value.items()
    number_format = (data.get("userEnteredFormat") or {}).get("numberFormat") or {}
    found = {"v": v, "date": number_format.get("type") in ("DATE", "DATE_TIME"), "kind": kind}
    if number_format:
        found["number_format"] = number_format
    return found


def _copy_book(book: Book) -> Book:
    """Copy enough to roll back: cells are replaced, never changed in place."""
    work = copy.copy(book)
    work.sheets = []
    work.developer_metadata = [dict(m) for m in book.developer_metadata]
    for sheet in book.sheets:
        clone = copy.copy(sheet)
        clone.cells = dict(sheet.cells)
        for name in (
            "protected",
            "validations",
            "conditional",
            "formats",
            "charts",
            "borders",
            "merges",
        ):
            setattr(clone, name, list(getattr(sheet, name)))
        clone.widths = dict(sheet.widths)
        work.sheets.append(clone)
    return work


class FakeSheets:
    def __init__(self) -> None:
        self.books: dict[str, Book] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, request bytes)
        self.exchanges: list[tuple[str, dict | None, dict]] = []  # (path, JSON sent, JSON answered)
        self.failures: list[tuple[int, str | None]] = []  # (status, Retry-After) for next requests
        self.streak: tuple[float, object] | None = None  # (429 until, clock)
        self.quota: tuple | None = None  # per_minute(): (limit, clock, times by kind)
        self.delay = 0.0
        self.hooks: list[list] = []  # [path suffix, requests to let pass first, callable(book)]
        self.require_token = False
        # Google's limits: a request body over 10 MiB is refused whole; a spreadsheet holds
        # 10 million cells at most (lowered by tests to stay fast)
        self.max_body = MAX_BODY
        self.max_cells = MAX_CELLS
        self.answers: list[tuple[int, dict]] = []  # Google's error bodies for next requests
        self.hangs: list[str] = []  # "before" / "after" (applied): next requests unanswered
        self.released = threading.Event()  # set on stop(): hung requests end then
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeSheets:
        self.thread.start()
        return self

    def _serve(self) -> None:
        # shutdown() waits for the loop to look again: every 20 ms, not socketserver's 0.5 s
        self.server.serve_forever(poll_interval=0.02)

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def create(self, key: str, titles: tuple[str, ...] = ("Sheet1",), **kwargs) -> Book:
        book = Book(key, **kwargs)
        for i, title in enumerate(titles):
            book.sheets.append(Sheet(i if i else 0, title))
        self.books[key] = book
        return book

    def answer_next(self, error: dict, times: int = 1) -> None:
        """Answer the next API requests with Google's error body `error` (NOT_SHARED...)."""
        self.answers += [(error["code"], error)] * times

    def hang_next(self, when: str = "before", times: int = 1) -> None:
        """Leave the next API requests unanswered until the client gives up: "before"
        applying anything, or "after" applying a batchUpdate (its answer lost on the way)."""
        self.hangs += [when] * times

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self.failures += [(status, retry_after)] * times

    def quota_streak(self, seconds: float, clock=time.monotonic) -> None:
        """Answer every API request with Google's 429 for the next `seconds` on `clock`, as
        when a per-minute quota is used up. A refused request changes nothing."""
        self.streak = (clock() + seconds, clock)

    def per_minute(self, limit: int = 60, clock=time.monotonic) -> None:
        """Google's per-minute quotas: `limit` read requests and `limit` write requests per
        minute per user (60 each), counted apart on `clock`; one more is answered 429 and
        changes nothing (refusals are not counted)."""
        self.quota = (limit, clock, {"Read": [], "Write": []})

    def _over_quota(self, method: str) -> bool:
        if self.quota is None:
            return False
        limit, clock, seen = self.quota
        now, kind = clock(), "Read" if method == "GET" else "Write"
        seen[kind] = [t for t in seen[kind] if now - t < 60]
        if len(seen[kind]) >= limit:
            return True
        seen[kind].append(now)
        return False

    def _refusal(self, api: bool, method: str = "GET") -> tuple[int, str | None] | None:
        """The failure the next API request gets, if any (under the lock)."""
        if not api:
            return None
        if self.failures:
            return self.failures.pop(0)
        if self.streak and self.streak[1]() < self.streak[0]:
            return 429, None
        if self._over_quota(method):
            return 429, None
        return None

    def count(self, pattern: str = "") -> int:
        return sum(1 for _, path, _ in self.requests if pattern in path)

    # --- endpoints -------------------------------------------------------------------
    def metadata(self, book: Book) -> dict:
        return {
            "spreadsheetId": book.key,
            "properties": {"title": book.title, "timeZone": book.time_zone, "locale": "zh_CN"},
            "sheets": [
                {
                    "properties": {
                        "sheetId": s.sheet_id,
                        "title": s.title,
                        "index": i,
                        "sheetType": "GRID",
                        **({"hidden": True} if s.hidden else {}),
                        "gridProperties": {
                            "rowCount": s.rows,
                            "columnCount": s.cols,
                            **({"frozenRowCount": s.frozen_rows} if s.frozen_rows else {}),
                            **({"frozenColumnCount": s.frozen_cols} if s.frozen_cols else {}),
                        },
                    },
                    **({"basicFilter": s.basic_filter} if s.basic_filter else {}),
                    **({"protectedRanges": s.protected} if s.protected else {}),
                    **({"conditionalFormats": s.conditional} if s.conditional else {}),
                    **({"charts": s.charts} if s.charts else {}),
                    **({"merges": s.merges} if s.merges else {}),
                }
                for i, s in enumerate(book.sheets)
            ],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.key}/edit",
            **({"developerMetadata": book.developer_metadata} if book.developer_metadata else {}),
        }

    def batch_get(self, book: Book, query: dict) -> dict:
        ranges = [self.read(book, text, query) for text in query.get("ranges", [])]
        return {"spreadsheetId": book.key, "valueRanges": ranges}

    def read(self, book: Book, text: str, query: dict) -> dict:
        """One range read as values (GET values/{range}, one of values:batchGet): a whole
        tab, or an A1 range of it, in the render options asked for."""
        title, a1 = _split_range(text)
        sheet = book.by_title(title)
        how = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        dates = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
        try:
            r0, r1, c0, c1 = google.a1_area(a1 or "A:ZZZ", sheet.rows, sheet.cols)
        except ValueError:
            raise ApiError(400, f"Unable to parse range: {text}") from None
        named = f"{google.letters(c0 + 1)}{r0 + 1}:{google.letters(c1)}{r1}"
        entry = {"range": f"{quote(sheet.title)}!{named}", "majorDimension": "ROWS"}
        by_row: dict[int, dict[int, object]] = {}
        for (r, c), cell in sheet.cells.items():
            if r0 <= r < r1 and c0 <= c < c1:
                value = google.render(sheet, r, c, cell, how, dates)
                if value != "":
                    by_row.setdefault(r - r0, {})[c - c0] = value
        if by_row:
            entry["values"] = [
                [found.get(c, "") for c in range(max(found) + 1)]
                if (found := by_row.get(r))
                else []
                for r in range(max(by_row) + 1)
            ]
        return entry

    def values_update(self, book: Book, a1: str, body: dict, query: dict) -> dict:
        """PUT values/{range}: what gspread's update_cell and update_cells send."""
        title, ref = _split_range(a1)
        sheet = book.by_title(title)
        start = re.match(r"([A-Z]+)(\d+)", ref or "A1")
        r0, c0 = int(start.group(2)) - 1, col_number(start.group(1)) - 1
        user_entered = query.get("valueInputOption", ["RAW"])[0] == "USER_ENTERED"
        for i, row in enumerate(body.get("values", [])):
            for j, v in enumerate(row):
                if v is None:  # gspread's "leave this cell as it is"
                    continue
                # USER_ENTERED: what a person typing it would get (a date, a number, a formula)
                cell = google.typed(v) if user_entered else {"v": v}
                sheet.set(r0 + i, c0 + j, cell if v != "" else None)
        cells = sum(len(r) for r in body.get("values", []))
        return {"spreadsheetId": book.key, "updatedRange": a1, "updatedCells": cells}

    def values_append(self, book: Book, a1: str, body: dict, query: dict) -> dict:
        """POST values/{range}:append: rows after the last row holding anything, the grid
        grown to fit (INSERT_ROWS inserts them there instead)."""
        title, _ = _split_range(a1)
        sheet = book.by_title(title)
        rows = body.get("values", [])
        start = len(sheet.grid())
        if query.get("insertDataOption", ["OVERWRITE"])[0] == "INSERT_ROWS":
            span = {"dimension": "ROWS", "startIndex": start, "endIndex": start + len(rows)}
            google.insert_dimension(sheet, span)
        sheet.rows = max(sheet.rows, start + len(rows))
        self._check_cells(book, "appendCells", 0)
        user_entered = query.get("valueInputOption", ["RAW"])[0] == "USER_ENTERED"
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                sheet.set(start + i, j, google.typed(v) if user_entered else {"v": v})
        width = max((len(r) for r in rows), default=0)
        where = f"A{start + 1}:{google.letters(max(width, 1))}{start + len(rows)}"
        return {
            "spreadsheetId": book.key,
            "tableRange": f"{quote(sheet.title)}!A1:{google.letters(max(width, 1))}{start}",
            "updates": {
                "spreadsheetId": book.key,
                "updatedRange": f"{quote(sheet.title)}!{where}",
                "updatedRows": len(rows),
                "updatedColumns": width,
                "updatedCells": sum(len(r) for r in rows),
            },
        }

    def person(self, key: str, *requests: dict) -> None:
        """What a person does in the browser (sort, insert or delete rows, merge, edit), as
        batchUpdate requests applied at once, as Google applies them."""
        with self.lock:
            self.batch_update(self.books[key], {"requests": list(requests)})

    def type(self, key: str, title: str, a1: str, text: object) -> None:
        """A person typing `text` into one cell: stored as Google stores what is typed."""
        with self.lock:
            sheet = self.books[key].by_title(title)
            r, c = google.a1_cell(a1)
            sheet.set(r, c, google.typed(text))

    def before(self, suffix: str, hook, skip: int = 0) -> None:
        """Run `hook(book)` once, before the (skip+1)-th request whose path ends in `suffix`."""
        self.hooks.append([suffix, skip, hook])

    def _run_hooks(self, path: str) -> None:
        for entry in list(self.hooks):
            suffix, skip, hook = entry
            if path.endswith(suffix):
                if skip:
                    entry[1] -= 1
                else:
                    self.hooks.remove(entry)
                    book = next(iter(self.books.values()))
                    hook(book)

    def batch_update(self, book: Book, body: dict) -> dict:
        work = _copy_book(book)  # all or nothing, as the real API
        replies = []
        for index, request in enumerate(body.get("requests", [])):
            replies.append(self._apply(work, request))
            self._check_cells(work, next(iter(request)), index)
        self.books[book.key] = work
        return {"spreadsheetId": book.key, "replies": replies}

    def _apply(self, book: Book, request: dict) -> dict:
        ((kind, args),) = request.items()
        if kind == "addSheet":
            props = args.get("properties", {})
            sheet_id = props.get("sheetId", book.next_id)
            book.next_id = max(book.next_id, sheet_id) + 1
            if any(s.title == props.get("title") for s in book.sheets):
                raise ApiError(400, f'A sheet with the name "{props.get("title")}" already exists.')
            grid = props.get("gridProperties", {})
            book.sheets.append(
                Sheet(
                    sheet_id,
                    props["title"],
                    grid.get("rowCount", 1000),
                    grid.get("columnCount", 26),
                    hidden=bool(props.get("hidden", False)),
                )
            )
            return {"addSheet": {"properties": {"sheetId": sheet_id, "title": props["title"]}}}
        if kind == "deleteSheet":  # DeleteSheetRequest: the tab and everything on it
            book.sheets.remove(book.by_id(args["sheetId"]))
            return {}
        if kind == "appendDimension":
            sheet = book.by_id(args["sheetId"])
            if args["dimension"] == "ROWS":
                sheet.rows += args["length"]
            else:
                sheet.cols += args["length"]
            return {}
        if kind == "updateSheetProperties":
            props = args["properties"]
            sheet = book.by_id(props["sheetId"])
            grid = props.get("gridProperties", {})
            sheet.frozen_rows = grid.get("frozenRowCount", sheet.frozen_rows)
            sheet.frozen_cols = grid.get("frozenColumnCount", sheet.frozen_cols)
            sheet.rows = grid.get("rowCount", sheet.rows)
            sheet.cols = grid.get("columnCount", sheet.cols)
            return {}
        if kind == "updateCells":
            return self._update_cells(book, args)
        if kind == "appendCells":
            sheet = book.by_id(args["sheetId"])
            start = len(sheet.grid())
            # "inserting new rows into the sheet if necessary" (the API reference)
            sheet.rows = max(sheet.rows, start + len(args.get("rows", [])))
            for i, row in enumerate(args.get("rows", [])):
                for j, data in enumerate(row.get("values", [])):
                    sheet.set(start + i, j, _cell_value(data))
            return {}
        if kind in ("setDataValidation", "repeatCell"):
            target = book.by_id(args["range"]["sheetId"])
            (target.validations if kind == "setDataValidation" else target.formats).append(args)
            return {}
        if kind == "setBasicFilter":  # replaces the sheet's basic filter, if any
            book.by_id(args["filter"]["range"]["sheetId"]).basic_filter = args["filter"]
            return {}
        if kind == "updateDimensionProperties":
            span = args["range"]
            sheet = book.by_id(span["sheetId"])
            if span["dimension"] == "COLUMNS" and "pixelSize" in args["properties"]:
                for column in range(span.get("startIndex", 0), span.get("endIndex", sheet.cols)):
                    sheet.widths[column] = args["properties"]["pixelSize"]
            return {}
        if kind == "updateBorders":
            book.by_id(args["range"]["sheetId"]).borders.append(args)
            return {}
        if kind == "addConditionalFormatRule":
            book.by_id(args["rule"]["ranges"][0]["sheetId"]).conditional.append(args["rule"])
            return {}
        if kind == "addChart":
            chart = dict(args["chart"], chartId=self._next_chart_id(book))
            anchor = chart["position"]["overlayPosition"]["anchorCell"]
            book.by_id(anchor["sheetId"]).charts.append(chart)
            return {"addChart": {"chart": chart}}
        if kind == "deleteEmbeddedObject":
            for sheet in book.sheets:
                kept = [c for c in sheet.charts if c["chartId"] != args["objectId"]]
                if len(kept) < len(sheet.charts):
                    sheet.charts = kept
                    return {}
            raise ApiError(
                400,
                f"Invalid requests[0].deleteEmbeddedObject: No object with id {args['objectId']}",
            )
        if kind == "addProtectedRange":
            # AddProtectedRangeRequest: the id is optional (generated when unset) and must be
            # new; editors are not supported with warningOnly protection. The reply is the
            # range as added, its protectedRangeId set.
            protected = dict(args["protectedRange"])
            if protected.get("warningOnly") and protected.get("editors"):
                raise ApiError(
                    400,
                    "Invalid requests[0].addProtectedRange: editors are not supported with warningOnly protection",
                )
            used = [p["protectedRangeId"] for sheet in book.sheets for p in sheet.protected]
            if protected.get("protectedRangeId") in used:
                raise ApiError(
                    400,
                    "Invalid requests[0].addProtectedRange: a protected range with that id exists",
                )
            protected.setdefault("protectedRangeId", max([1000, *used]) + 1)
            protected["requestingUserCanEdit"] = True
            book.by_id(protected["range"]["sheetId"]).protected.append(protected)
            return {"addProtectedRange": {"protectedRange": protected}}
        if kind == "updateProtectedRange":
            # UpdateProtectedRangeRequest: the range named by its protectedRangeId, the
            # `fields` listed (comma-separated, "*" for all) set from the request; empty reply.
            change = args["protectedRange"]
            found = [
                p
                for sheet in book.sheets
                for p in sheet.protected
                if p["protectedRangeId"] == change.get("protectedRangeId")
            ]
            if not found:
                raise ApiError(
                    400,
                    f"Invalid requests[0].updateProtectedRange: No protected range with id: {change.get('protectedRangeId')}",
                )
            names = [f.strip() for f in args.get("fields", "").split(",") if f.strip()]
            if not names:
                raise ApiError(400, "Invalid requests[0].updateProtectedRange: fields is required")
            for name in names if names != ["*"] else [k for k in change if k != "protectedRangeId"]:
                if name in change:
                    found[0][name] = change[name]
                else:
                    found[0].pop(name, None)
            return {}
        if kind in DEVELOPER_METADATA:
            return DEVELOPER_METADATA[kind](book, args)
        if kind in BROWSER_ACTIONS:  # sort, insert, delete, merge: what people do
            target = args.get("range", {})
            BROWSER_ACTIONS[kind](book.by_id(target.get("sheetId", 0)), args)
            return {}
        raise ApiError(
            400, f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[0]'"
        )

    def _check_cells(self, book: Book, kind: str, index: int) -> None:
        """Google's limit on the cells of a spreadsheet (10 million), counted on the grids."""
        if sum(s.rows * s.cols for s in book.sheets) > self.max_cells:
            raise ApiError(
                400,
                f"Invalid requests[{index}].{kind}: This action would increase the number of "
                f"cells in the workbook above the limit of {self.max_cells} cells.",
            )

    @staticmethod
    def _next_chart_id(book: Book) -> int:
        used = [c["chartId"] for s in book.sheets for c in s.charts]
        return max([1_000_000, *used]) + 1

    def _update_cells(self, book: Book, args: dict) -> dict:
        if "start" in args:
            sheet, r0, c0 = (
                book.by_id(args["start"]["sheetId"]),
                args["start"].get("rowIndex", 0),
                args["start"].get("columnIndex", 0),
            )
            area = None
        else:
            rng = args["range"]
            sheet = book.by_id(rng["sheetId"])
            r0, c0 = rng.get("startRowIndex", 0), rng.get("startColumnIndex", 0)
            area = (
                r0,
                rng.get("endRowIndex", sheet.rows),
                c0,
                rng.get("endColumnIndex", sheet.cols),
            )
        written = set()
        for i, row in enumerate(args.get("rows", [])):
            for j, data in enumerate(row.get("values", [])):
                sheet.set(r0 + i, c0 + j, _cell_value(data))
                written.add((r0 + i, c0 + j))
        if area:  # cells of the range not given are cleared
            for key in [
                k for k in sheet.cells if area[0] <= k[0] < area[1] and area[2] <= k[1] < area[3]
            ]:
                if key not in written:
                    del sheet.cells[key]
        return {}

    # --- HTTP --------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, code: int, body: dict, headers: dict | None = None) -> None:
                if self.path.startswith("/v4/"):
                    fake.exchanges.append(
                        (urlparse(self.path).path, getattr(self, "sent", None), body)
                    )
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, code: int, message: str, headers: dict | None = None) -> None:
                self._reply(
                    code,
                    {
                        "error": {
                            "code": code,
                            "message": message,
                            "status": STATUS.get(code, "UNKNOWN"),
                        }
                    },
                    headers,
                )

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                self.sent = json.loads(raw) if raw and self.path.startswith("/v4/") else None
                url = urlparse(self.path)
                with fake.lock:
                    fake.requests.append((method, url.path, len(raw) + len(self.path)))
                    failure = fake._refusal(url.path.startswith("/v4/"), method)
                    api = url.path.startswith("/v4/")
                    answer = fake.answers.pop(0) if api and fake.answers else None
                    hang = fake.hangs.pop(0) if api and fake.hangs else None
                if api and len(raw) > fake.max_body:  # before anything else, as Google
                    limit = fake.max_body
                    message = f"Request payload size exceeds the limit: {limit} bytes."
                    return self._error(400, message)
                if answer:
                    return self._reply(answer[0], {"error": answer[1]})
                if hang == "before":
                    fake.released.wait(60)
                    return None
                if fake.delay:
                    time.sleep(fake.delay)
                if url.path == "/token":
                    return self._reply(
                        200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}
                    )
                if url.path.endswith("/allowedLocations"):  # google-auth's regional-boundary lookup
                    return self._reply(200, {"locations": [], "encodedLocations": "0x0"})
                if failure:
                    status, retry_after = failure
                    headers = {"Retry-After": retry_after} if retry_after else None
                    if status == 429:
                        return self._reply(429, quota_error(method), headers)
                    return self._error(status, "Internal error", headers)
                if fake.require_token and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._error(
                        401, "Request is missing required authentication credential."
                    )
                match = re.fullmatch(
                    r"/v4/spreadsheets/([^/:]+)(/values:batchGet|:batchUpdate|/values/.+)?",
                    unquote(url.path),
                )
                if not match:
                    return self._error(404, "Method not found.")
                with fake.lock:
                    fake._run_hooks(url.path)
                book = fake.books.get(match.group(1))
                if book is None:
                    return self._error(404, "Requested entity was not found.")
                if not book.shared:
                    return self._error(403, "The caller does not have permission")
                try:
                    with fake.lock:
                        if match.group(2) is None and method == "GET":
                            return self._reply(200, fake.metadata(book))
                        if match.group(2) == "/values:batchGet" and method == "GET":
                            return self._reply(200, fake.batch_get(book, parse_qs(url.query)))
                        if match.group(2) == ":batchUpdate" and method == "POST":
                            done = fake.batch_update(book, self.sent or {})
                            if hang == "after":  # applied, and the answer never comes
                                fake.lock.release()
                                fake.released.wait(60)
                                fake.lock.acquire()
                                return None
                            return self._reply(200, done)  # the body was parsed once
                        if (match.group(2) or "").endswith(":append") and method == "POST":
                            where, query = match.group(2)[8:-7], parse_qs(url.query)
                            return self._reply(
                                200, fake.values_append(book, where, self.sent or {}, query)
                            )
                        if (match.group(2) or "").startswith("/values/") and method == "GET":
                            where = match.group(2)[8:]
                            return self._reply(200, fake.read(book, where, parse_qs(url.query)))
                        if (match.group(2) or "").startswith("/values/") and method == "PUT":
                            body, query = self.sent, parse_qs(url.query)
                            return self._reply(
                                200, fake.values_update(book, match.group(2)[8:], body, query)
                            )
                except ApiError as exc:
                    return self._error(exc.code, exc.message)
                return self._error(404, "Method not found.")

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PUT(self):
                self._handle("PUT")

        return Handler

"""Feishu Sheets (飞书电子表格) on the local open-platform fake (tests/feishu_fake.py), holding
spreadsheets in memory for the real client (sheetsync/feishu_api.py) to talk to over HTTP.

Built from the published reference (open.feishu.cn / open.larkoffice.com, 服务端 API > 云文档 >
电子表格), where the backend relies on it:
- 获取工作表 GET /open-apis/sheets/v3/spreadsheets/:token/sheets/query
  (open.feishu.cn/document/server-docs/docs/sheets-v3/spreadsheet-sheet/query): data.sheets of
  {sheet_id, title, index, hidden, grid_properties {frozen_row_count, frozen_column_count,
  row_count, column_count}, resource_type "sheet"}. A new sheet is 200 rows x 20 columns.
- 读取多个范围 GET /open-apis/sheets/v2/spreadsheets/:token/values_batch_get
  (open.larkoffice.com/document/ukTMukTMukTM/ukTMzUjL5EzM14SOxMTN): `ranges` comma-separated,
  each "<sheetId>!A1:C5", "<sheetId>!A:C" or "<sheetId>"; data.valueRanges of {majorDimension,
  range, revision, values}; an empty cell is null. valueRenderOption ToString (every value as
  text), FormattedValue (as shown), Formula, UnformattedValue; without dateTimeRenderOption a
  date is its serial number (days since 1899-12-30), with "FormattedString" the date as shown.
  "该接口返回数据的最大限制为 10 MB": a larger answer is refused (90221 TooLargeResponse).
  A cell people formatted (a link, an @mention, mixed styles) reads as a list of segments
  [{"type": "text"|"url"|"mention", "text": ...}].
- 向多个范围写入数据 POST .../values_batch_update {"valueRanges": [{range, values}]} and 向单个
  范围写入数据 (open.larkoffice.com/document/ukTMukTMukTM/uAjMzUjLwIzM14CMyMTN): "单次写入数据不得
  超过 5000 行、100列" (refused here as 90226 ExcessLimit), "每个单元格不超过 50,000 字符"
  (90222 TooLargeCell). A write outside the sheet's grid is refused (90202 WrongRange): the
  backend grows the grid first (增加行列, below), never relying on the server to.
- 操作工作表 POST .../sheets_batch_update {"requests": [{"addSheet": {"properties": {title,
  index}}}, {"deleteSheet": {"sheetId"}}, {"updateSheet": {"properties": {sheetId, title,
  hidden, frozenRowCount, frozenColCount}}}]}; replies[].addSheet.properties.sheetId.
- 增加行列 POST .../dimension_range {"dimension": {sheetId, majorDimension ROWS|COLUMNS,
  length <= 5000}} (open.larkoffice.com/document/ukTMukTMukTM/uUjMzUjL1IzM14SNyMTN); 插入行列
  POST .../insert_dimension_range and 删除行列 DELETE .../dimension_range ({sheetId,
  majorDimension, startIndex, endIndex}, 1-based, both ends included).
- 批量设置单元格样式 PUT .../styles_batch_update {"data": [{"ranges": [...], "style": {font:
  {bold}, formatter, hAlign, backColor, ...}}]}: kept per cell; a "yyyy/MM/dd"-like formatter
  makes a number read as a date with FormattedValue / FormattedString.
- Errors as the 云文档错误码 page lists them (open.larksuite.com/document/ukTMukTMukTM/
  uIzM0UjLyMDN14iMzQTN) and the v3 pages: a sheet not shared with the app is HTTP 403 code
  91403 "Forbidden" on v2 (400 1310213 "Permission Fail" on v3); a deleted or unknown
  spreadsheet 91402 "NOTEXIST" (v3: 1310214 "SpreadSheet Not Found"); a deleted tab 90215
  "sheetId not found" (v3: 1310215); an app without the scope 99991672 "Access denied. One of
  the following scopes is required: [...]" (HTTP 400, as recorded in public client tests).

For tests: `create`, `share`, `delete`, `scopes`, person actions done in the browser by
another user (`person_sort`, `person_insert_rows`, `person_delete_rows`, `person_type`),
`before(suffix, hook, skip)` running a hook before the (skip+1)-th request whose path ends
with `suffix`, `refuse(suffix, status, answer, skip)` answering one request with an error
without applying it, and `lose_answer(suffix, skip)` applying one and answering it with a
server error (500, code 1315201, as the v3 error table lists it), as a lost answer. Every request path is counted by the base fake (`calls`, `log`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field

from feishu_fake import FeishuFake

EPOCH = dt.date(1899, 12, 30)
SHEETS = "/open-apis/sheets"
SCOPE = "sheets:spreadsheet"
MAX_ROWS, MAX_COLUMNS, MAX_CELL, MAX_READ = 5000, 100, 50_000, 10 * 1024 * 1024
RANGE = re.compile(r"^([A-Za-z0-9]+)(?:!([A-Z]+)?(\d+)?(?::([A-Z]+)?(\d+)?)?)?$")
DATE_FORMATTER = re.compile(r"y+.M+.d+")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def ok(data: dict) -> tuple[int, dict]:
    return 200, {"code": 0, "msg": "success", "data": data}


def refusal(status: int, code: int, msg: str) -> tuple[int, dict]:
    return status, {"code": code, "msg": msg, "data": {}}


@dataclass
class Sheet:
    sheet_id: str
    title: str
    rows: int = 200
    cols: int = 20
    hidden: bool = False
    frozen_rows: int = 0
    frozen_cols: int = 0
    cells: dict = field(default_factory=dict)  # (row0, col0) -> value as stored
    styles: dict = field(default_factory=dict)  # (row0, col0) -> style dict

    def grid(self) -> list[list]:
        """The values as stored, rows trimmed of trailing empties (for assertions)."""
        if not self.cells:
            return []
        height = max(r for r, _ in self.cells) + 1
        out = []
        for r in range(height):
            row = [self.cells.get((r, c)) for c in range(self.cols)]
            while row and row[-1] is None:
                row.pop()
            out.append(["" if v is None else v for v in row])
        while out and not out[-1]:
            out.pop()
        return out

    def is_date(self, r: int, c: int) -> bool:
        return bool(DATE_FORMATTER.search(str(self.styles.get((r, c), {}).get("formatter", ""))))


@dataclass
class Book:
    token: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)
    shared: set = field(default_factory=set)  # app ids the sheet is shared with
    deleted: bool = False
    revision: int = 1

    def by_title(self, title: str) -> Sheet:
        return next(s for s in self.sheets if s.title == title)

    def by_id(self, sheet_id: str) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)


class FeishuSheets:
    """The Sheets API routes on one FeishuFake; `books` by spreadsheet token."""

    def __init__(self, fake: FeishuFake | None = None) -> None:
        self.fake = fake or FeishuFake()
        self.books: dict[str, Book] = {}
        self.scopes: dict[str, set[str]] = {}  # app id -> scopes granted (default: SCOPE)
        self.hooks: list[list] = []
        self.refusals: list[list] = []
        self.lost: list[list] = []  # [suffix, skip]: applied, then answered 500
        self.bytes_in = self.bytes_out = 0
        base = f"{SHEETS}/"
        for method in ("GET", "POST", "PUT", "DELETE"):
            self.fake.route(method, base, self._serving(method))

    # --- set-up and what people do -----------------------------------------------------
    @property
    def url(self) -> str:
        return self.fake.url

    def start(self) -> FeishuSheets:
        self.fake.start()
        return self

    def stop(self) -> None:
        self.fake.stop()

    def create(self, token: str, titles=("Sheet1",), shared=("cli_test",), title="客户") -> Book:
        book = Book(token, title, shared=set(shared))
        for title_ in titles:
            book.sheets.append(Sheet(self._new_id(book), title_))
        self.books[token] = book
        return book

    @staticmethod
    def _new_id(book: Book) -> str:
        while True:
            sheet_id = secrets.token_hex(3)
            if not sheet_id.isdigit() and book.by_id(sheet_id) is None:
                return sheet_id

    def before(self, suffix: str, hook, skip: int = 0) -> None:
        """Run `hook(book)` once, before the (skip+1)-th request whose path ends in `suffix`."""
        self.hooks.append([suffix, skip, hook])

    def refuse(self, suffix: str, status: int, answer: dict, skip: int = 0, times: int = 1):
        """Answer the (skip+1)-th request ending in `suffix` (and `times`-1 more) with
        `answer`, not applied."""
        self.refusals.append([suffix, skip, times, status, answer])

    def lose_answer(self, suffix: str, skip: int = 0) -> None:
        """Apply the (skip+1)-th request ending in `suffix`, then answer it with a server
        error (1315201), as when Feishu made a write and the answer was lost: the client's
        retry finds it made."""
        self.lost.append([suffix, skip])

    def person_type(self, token: str, title: str, a1: str, value: object) -> None:
        """Another user typing into one cell: a date typed is stored as its serial with a
        date format, as Feishu shows it back; text and numbers as typed."""
        with self.fake.lock:
            sheet = self.books[token].by_title(title)
            match = re.fullmatch(r"([A-Z]+)(\d+)", a1)
            r, c = int(match[2]) - 1, col_number(match[1]) - 1
            if isinstance(value, dt.date):
                sheet.cells[(r, c)] = (value - EPOCH).days
                sheet.styles[(r, c)] = {"formatter": "yyyy/MM/dd"}
            elif value is None or value == "":
                sheet.cells.pop((r, c), None)
            else:
                sheet.cells[(r, c)] = value

    def person_sort(self, token: str, title: str, column: int, first: int = 2, desc=False):
        """Another user sorting rows `first`.. by `column` (1-based): empty cells last."""
        with self.fake.lock:
            sheet = self.books[token].by_title(title)
            last = max((r for r, _ in sheet.cells), default=-1)
            rows = [
                (
                    {c: sheet.cells.get((r, c)) for c in range(sheet.cols)},
                    {c: sheet.styles.get((r, c)) for c in range(sheet.cols)},
                )
                for r in range(first - 1, last + 1)
            ]

            def key(row):
                v = row[0].get(column - 1)
                return (v is None, isinstance(v, str), str(v) if isinstance(v, str) else v or 0)

            filled = sorted([r for r in rows if r[0].get(column - 1) is not None], key=key)
            if desc:
                filled.reverse()
            rows = filled + [r for r in rows if r[0].get(column - 1) is None]
            for i, (values, styles) in enumerate(rows):
                r = first - 1 + i
                for c in range(sheet.cols):
                    _put(sheet.cells, (r, c), values.get(c))
                    _put(sheet.styles, (r, c), styles.get(c))

    def person_insert_rows(self, token: str, title: str, before: int, n: int = 1) -> None:
        """Another user inserting `n` empty rows above row `before` (1-based)."""
        with self.fake.lock:
            sheet = self.books[token].by_title(title)
            _shift(sheet, before - 1, n)
            sheet.rows += n

    def person_delete_rows(self, token: str, title: str, first: int, n: int = 1) -> None:
        """Another user deleting rows `first`..`first+n-1` (1-based)."""
        with self.fake.lock:
            self._delete_rows(self.books[token].by_title(title), first, n)

    # --- the HTTP side ------------------------------------------------------------------
    def _serving(self, method: str):
        def serve(fake, path: str, query: dict, body, app: str):
            return self._serve(method, path, query, body, app)

        return serve

    def _serve(self, method: str, path: str, query: dict, body, app: str):
        self.bytes_in += len(json.dumps(body, ensure_ascii=False).encode()) if body else 0
        for entry in list(self.hooks):
            if path.endswith(entry[0]):
                if entry[1]:
                    entry[1] -= 1
                else:
                    self.hooks.remove(entry)
                    entry[2](next(iter(self.books.values())))
        for entry in list(self.refusals):
            if path.endswith(entry[0]):
                if entry[1]:
                    entry[1] -= 1
                    continue
                entry[2] -= 1
                if not entry[2]:
                    self.refusals.remove(entry)
                return entry[3], entry[4]
        status, answer = self._answer(method, path, query, body or {}, app)
        for entry in list(self.lost):
            if path.endswith(entry[0]):
                if entry[1]:
                    entry[1] -= 1
                    continue
                self.lost.remove(entry)
                return 500, {"code": 1315201, "msg": "Server Error", "data": {}}
        self.bytes_out += len(json.dumps(answer, ensure_ascii=False).encode())
        return status, answer

    def _answer(self, method: str, path: str, query: dict, body: dict, app: str):
        v3 = path.startswith(f"{SHEETS}/v3/")
        match = re.match(rf"{SHEETS}/v[23]/spreadsheets/([A-Za-z0-9]+)(/.*)?$", path)
        if not match:
            return refusal(404, 404, "404 page not found")
        if SCOPE not in self.scopes.get(app, {SCOPE}):
            msg = (
                "Access denied. One of the following scopes is required: "
                "[sheets:spreadsheet, drive:drive]. 应用尚未开通所需的应用身份权限："
                "[sheets:spreadsheet, drive:drive]"
            )
            return refusal(400, 99991672, msg)
        book = self.books.get(match[1])
        if book is None or book.deleted:
            return (
                refusal(400, 1310214, "SpreadSheet Not Found")
                if v3
                else refusal(400, 91402, "NOTEXIST")
            )
        if app not in book.shared:
            return (
                refusal(400, 1310213, "Permission Fail") if v3 else refusal(403, 91403, "Forbidden")
            )
        rest = match[2] or ""
        try:
            if v3 and rest == "/sheets/query" and method == "GET":
                return ok({"sheets": [self._sheet_info(book, s) for s in book.sheets]})
            if v3 and rest == "" and method == "GET":
                info = {"title": book.title, "token": book.token, "owner_id": "ou_owner"}
                return ok(
                    {"spreadsheet": {**info, "url": f"https://x.feishu.cn/sheets/{book.token}"}}
                )
            if rest == "/values_batch_get" and method == "GET":
                return self._batch_get(book, query)
            if rest == "/values_batch_update" and method == "POST":
                return self._batch_update(book, body)
            if rest == "/values" and method == "PUT":
                return self._batch_update(book, {"valueRanges": [body.get("valueRange", {})]})
            if rest == "/sheets_batch_update" and method == "POST":
                return self._sheets_batch_update(book, body)
            if rest == "/dimension_range" and method == "POST":
                return self._add_dimension(book, body)
            if rest == "/insert_dimension_range" and method == "POST":
                return self._insert_dimension(book, body)
            if rest == "/dimension_range" and method == "DELETE":
                return self._delete_dimension(book, body)
            if rest == "/styles_batch_update" and method == "PUT":
                return self._styles(book, body)
        except _Refused as exc:
            return refusal(400, exc.code, exc.msg)
        return refusal(404, 404, "404 page not found")

    @staticmethod
    def _sheet_info(book: Book, sheet: Sheet) -> dict:
        return {
            "sheet_id": sheet.sheet_id,
            "title": sheet.title,
            "index": book.sheets.index(sheet),
            "hidden": sheet.hidden,
            "grid_properties": {
                "frozen_row_count": sheet.frozen_rows,
                "frozen_column_count": sheet.frozen_cols,
                "row_count": sheet.rows,
                "column_count": sheet.cols,
            },
            "resource_type": "sheet",
        }

    def _range(self, book: Book, text: str) -> tuple[Sheet, int, int, int, int]:
        """(sheet, first row, first column, last row, last column), 0-based, inclusive."""
        match = RANGE.match(text.strip())
        if not match:
            raise _Refused(90202, "wrong range")
        sheet = book.by_id(match[1])
        if sheet is None:
            raise _Refused(90215, "sheetId not found")
        c1 = col_number(match[2]) - 1 if match[2] else 0
        r1 = int(match[3]) - 1 if match[3] else 0
        if match[4] or match[5]:
            c2 = col_number(match[4]) - 1 if match[4] else sheet.cols - 1
            r2 = int(match[5]) - 1 if match[5] else sheet.rows - 1
        elif match[2] or match[3]:  # one cell
            c2, r2 = c1, r1
        else:
            c2, r2 = sheet.cols - 1, sheet.rows - 1
        if r2 < r1 or c2 < c1:
            raise _Refused(90202, "wrong range")
        return sheet, r1, c1, r2, c2

    def _batch_get(self, book: Book, query: dict) -> tuple[int, dict]:
        ranges = query.get("ranges", "")
        ranges = ranges if isinstance(ranges, list) else [ranges]
        ranges = [r for text in ranges for r in text.split(",") if r]
        render = query.get("valueRenderOption", "")
        dates = query.get("dateTimeRenderOption", "")
        out, cells, extents = [], 0, {}
        for text in ranges:
            sheet, r1, c1, r2, c2 = self._range(book, text)
            if sheet.sheet_id not in extents:  # the sheet's last row and column with data
                rows = [r for r, _ in sheet.cells] or [0]
                columns = [c for _, c in sheet.cells] or [0]
                extents[sheet.sheet_id] = (max(rows), max(columns))
            last_row, last_column = extents[sheet.sheet_id]
            r2 = max(r1, min(r2, last_row))  # to the data, not the grid
            c2 = max(c1, min(c2, last_column))
            values = [
                [self._render(sheet, r, c, render, dates) for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)
            ]
            cells += (r2 - r1 + 1) * (c2 - c1 + 1)
            shown = f"{sheet.sheet_id}!{col_letters(c1 + 1)}{r1 + 1}:{col_letters(c2 + 1)}{r2 + 1}"
            out.append(
                {
                    "majorDimension": "ROWS",
                    "range": shown,
                    "revision": book.revision,
                    "values": values,
                }
            )
        data = {
            "revision": book.revision,
            "spreadsheetToken": book.token,
            "totalCells": cells,
            "valueRanges": out,
        }
        if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_READ:
            raise _Refused(90221, "TooLargeResponse")
        return ok(data)

    @staticmethod
    def _render(sheet: Sheet, r: int, c: int, render: str, dates: str):
        value = sheet.cells.get((r, c))
        if value is None:
            return None
        if isinstance(value, dict) and value.get("type") == "formula":
            if render == "Formula":
                return value["text"]
            value = value.get("value")
        if isinstance(value, list):  # segments: text of each
            return value if render != "ToString" else "".join(s.get("text", "") for s in value)
        shown_date = sheet.is_date(r, c) and isinstance(value, (int, float))
        if shown_date and (dates == "FormattedString" or render in ("FormattedValue", "ToString")):
            day = EPOCH + dt.timedelta(days=int(value))
            return f"{day.year}/{day.month:02d}/{day.day:02d}"
        if render == "ToString":
            return str(value)
        return value

    def _batch_update(self, book: Book, body: dict) -> tuple[int, dict]:
        planned = []
        for value_range in body.get("valueRanges", []):
            values = value_range.get("values", [])
            sheet, r1, c1, r2, c2 = self._range(book, value_range.get("range", ""))
            width = max((len(row) for row in values), default=0)
            if len(values) > MAX_ROWS or width > MAX_COLUMNS:
                raise _Refused(90226, "ExcessLimit")
            if r1 + len(values) > sheet.rows or c1 + width > sheet.cols:
                raise _Refused(90202, "wrong range")
            for row in values:
                for value in row:
                    if isinstance(value, str) and len(value) > MAX_CELL:
                        raise _Refused(90222, "TooLargeCell")
            planned.append((sheet, r1, c1, values))
        responses = []
        for sheet, r1, c1, values in planned:
            for i, row in enumerate(values):
                for j, value in enumerate(row):
                    _put(sheet.cells, (r1 + i, c1 + j), _stored(value))
            book.revision += 1
            responses.append(
                {
                    "spreadsheetToken": book.token,
                    "updatedRange": f"{sheet.sheet_id}!{col_letters(c1 + 1)}{r1 + 1}",
                    "updatedRows": len(values),
                    "updatedColumns": max((len(r) for r in values), default=0),
                    "updatedCells": sum(len(r) for r in values),
                    "revision": book.revision,
                }
            )
        return ok(
            {"responses": responses, "revision": book.revision, "spreadsheetToken": book.token}
        )

    def _sheets_batch_update(self, book: Book, body: dict) -> tuple[int, dict]:
        replies = []
        for request in body.get("requests", []):
            ((kind, args),) = request.items()
            if kind == "addSheet":
                props = args.get("properties", {})
                title = str(props.get("title", ""))
                if not title:
                    raise _Refused(90207, "sheet title is empty")
                if any(s.title == title for s in book.sheets):
                    raise _Refused(90210, "sheet title already exists")
                sheet = Sheet(self._new_id(book), title)
                book.sheets.insert(int(props.get("index", len(book.sheets))), sheet)
                info = {
                    "sheetId": sheet.sheet_id,
                    "title": title,
                    "index": book.sheets.index(sheet),
                }
                replies.append({"addSheet": {"properties": info}})
            elif kind == "deleteSheet":
                sheet = book.by_id(str(args.get("sheetId", "")))
                if sheet is None:
                    raise _Refused(90215, "sheetId not found")
                book.sheets.remove(sheet)
                replies.append({"deleteSheet": {"result": True, "sheetId": sheet.sheet_id}})
            elif kind == "updateSheet":
                props = args.get("properties", {})
                sheet = book.by_id(str(props.get("sheetId", "")))
                if sheet is None:
                    raise _Refused(90215, "sheetId not found")
                if "title" in props:
                    sheet.title = props["title"]
                if "hidden" in props:
                    sheet.hidden = bool(props["hidden"])
                sheet.frozen_rows = int(props.get("frozenRowCount", sheet.frozen_rows))
                sheet.frozen_cols = int(props.get("frozenColCount", sheet.frozen_cols))
                replies.append({"updateSheet": {"properties": props}})
            else:
                raise _Refused(90204, "wrong request body")
        book.revision += 1
        return ok({"replies": replies})

    def _dimension(self, book: Book, body: dict) -> tuple[Sheet, dict]:
        args = body.get("dimension", {})
        sheet = book.by_id(str(args.get("sheetId", "")))
        if sheet is None:
            raise _Refused(90215, "sheetId not found")
        if args.get("majorDimension") not in ("ROWS", "COLUMNS"):
            raise _Refused(90204, "wrong request body")
        return sheet, args

    def _add_dimension(self, book: Book, body: dict) -> tuple[int, dict]:
        sheet, args = self._dimension(book, body)
        length = int(args.get("length", 0))
        if not 0 < length <= MAX_ROWS:
            raise _Refused(90204, "wrong request body")
        if args["majorDimension"] == "ROWS":
            sheet.rows += length
        else:
            sheet.cols += length
        return ok({"addCount": length, "majorDimension": args["majorDimension"]})

    def _insert_dimension(self, book: Book, body: dict) -> tuple[int, dict]:
        sheet, args = self._dimension(book, body)
        start, end = int(args.get("startIndex", 0)), int(args.get("endIndex", 0))
        if args["majorDimension"] != "ROWS" or end <= start:
            raise _Refused(90204, "wrong request body")
        _shift(sheet, start, end - start)
        sheet.rows += end - start
        return ok({})

    def _delete_dimension(self, book: Book, body: dict) -> tuple[int, dict]:
        sheet, args = self._dimension(book, body)
        first, last = int(args.get("startIndex", 1)), int(args.get("endIndex", 0))
        if args["majorDimension"] != "ROWS" or last < first:
            raise _Refused(90204, "wrong request body")
        self._delete_rows(sheet, first, last - first + 1)
        return ok({"delCount": last - first + 1, "majorDimension": "ROWS"})

    @staticmethod
    def _delete_rows(sheet: Sheet, first: int, n: int) -> None:
        for store in (sheet.cells, sheet.styles):
            for key in [k for k in store if first - 1 <= k[0] < first - 1 + n]:
                del store[key]
        _shift(sheet, first - 1 + n, -n)
        sheet.rows -= n

    def _styles(self, book: Book, body: dict) -> tuple[int, dict]:
        responses = []
        for entry in body.get("data", []):
            style = entry.get("style", {})
            for text in entry.get("ranges", []):
                sheet, r1, c1, r2, c2 = self._range(book, text)
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        merged = dict(sheet.styles.get((r, c), {}))
                        merged.update(style)
                        sheet.styles[(r, c)] = merged
                responses.append(
                    {"updatedRange": text, "updatedCells": (r2 - r1 + 1) * (c2 - c1 + 1)}
                )
        return ok({"responses": responses, "revision": book.revision})


class _Refused(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


def _stored(value: object) -> object:
    """What a written value is kept as: an empty string clears the cell."""
    if value is None or value == "":
        return None
    return value


def _put(store: dict, key: tuple, value: object) -> None:
    if value is None:
        store.pop(key, None)
    else:
        store[key] = value


def _shift(sheet: Sheet, from_row: int, by: int) -> None:
    """Rows from `from_row` (0-based) down move by `by` (cells and styles alike)."""
    for attr in ("cells", "styles"):
        store = getattr(sheet, attr)
        moved = {}
        for (r, c), v in store.items():
            if r >= from_row:
                moved[(r + by, c)] = v
            else:
                moved[(r, c)] = v
        setattr(sheet, attr, moved)

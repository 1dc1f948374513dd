"""The Feishu (Lark) backend: a 飞书电子表格 through the app client (sheetsync/feishu_api.py).

Reading is one 获取工作表 (v3 sheets/query) and one or a few 读取多个范围 (v2
values_batch_get, under its 10 MB answer): values UnformattedValue, no dateTimeRenderOption,
so a date reads as its serial number, as the rules already read Excel and Google serials.
(open.larkoffice.com/document/ukTMukTMukTM/ukTMzUjL5EzM14SOxMTN; a cell with a link or an
@mention reads as segments and is taken as their text.)

Writing applies the same Changeset as the Google backend, by the same pure pieces
(gsheets_requests: `_rematch` finds each customer's row by 客户编号 at write time, `_renamed`
writes a header only where it still reads as planned, `_same` diffs a rewritten tab against
what was read). Feishu documents no all-or-nothing batch, so a write is made safe otherwise:

- A **journal** (.sheetsync-<token>.writes.json in the working directory) records how many
  of the write's batches were made. A run that stops part way says "已写入 N 批中的 M 批,下次
  运行会接着写完"; the next run computes again and writes only what differs from the sheet,
  so a first sync of 10 k rows cut off at any batch is finished by the next, and says so.
- A **read-back** after the batches: the follow-up tab is read again and every sync-owned
  cell of the columns written is compared, by 客户编号, with what it must hold (the new
  value, or what it held when the write began). A person who sorted, inserted or deleted
  rows between two batches moved rows under the write: whatever landed on the wrong customer
  is written again at each customer's row as it is now (up to three rounds). People's own
  columns are never written, so none of their edits is lost.
- Batches stay under the documented limits: 5,000 rows and 100 columns per range
  (open.larkoffice.com/document/ukTMukTMukTM/uAjMzUjLwIzM14CMyMTN), 5,000 rows per request,
  2 MB per body as sent; a grid too small is grown first (增加行列, 5,000 at a time).

Dates are written as serial numbers with a yyyy/MM/dd formatter (批量设置单元格样式), so
they sort and filter as dates; shares and amounts as numbers with a percent or #,##0.00
formatter; titles of the summary bold. Frozen rows and columns are set; column widths,
borders and charts are not (the v2 / v3 Sheets reference followed here has no chart
endpoints): the summary's tables are there, without charts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from functools import lru_cache
from pathlib import Path

from openpyxl.utils.datetime import to_excel

from sheetsync.backends.gsheets_requests import (
    PEOPLE_KEYS,
    _rematch,
    _renamed,
    _runs,
    _same,
    _with_renames,
)
from sheetsync.errors import BackendError
from sheetsync.feishu_api import FeishuClient, FeishuError
from sheetsync.workbook.changes import Amount, Changeset, Heading, Share
from sheetsync.workbook.parsing import EXCEL_EPOCH as EPOCH
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import FOLLOWUPS
from sheetsync.workbook.tables import column_letter, load_sheet
from sheetsync.workbook.terms import normalise_header
from sheetsync.workbook.validate import normalise_id

log = logging.getLogger("sheetsync")

MAX_ROWS, MAX_COLUMNS = 5000, 100  # per range written (and rows per request, here)
MAX_BODY = 2_000_000  # bytes per request body as sent
READ_CELLS = 400_000  # cells per read request: under the 10 MB answer (halved if not)
MAX_RANGES = 500  # ranges per styles request
DATE, PERCENT, AMOUNT = "yyyy/MM/dd", "0.00%", "#,##0.00"
BOLD = {"font": {"bold": True}}
NOT_SHARED = {91403, 90213, 1310213}
NO_SCOPE = {99991672, 99991679}
WRONG_SECRET = {10014, 10003}
SHEET_GONE = {91402, 90214, 1310214}
TAB_GONE = {90215, 1310215}
TOO_LARGE = 90221
TITLE_TAKEN = 90210
REPAIR_ROUNDS = 3


def feishu_token(text: str) -> str:
    """The spreadsheet token from a sheet's URL (…/sheets/TOKEN?sheet=…) or the token."""
    match = re.search(r"/sheets/([A-Za-z0-9]+)", text)
    return match[1] if match else text.strip()


class FeishuBackend:
    def __init__(self, workbook: str, client: FeishuClient, journal_dir: str | Path = ".") -> None:
        self.token = feishu_token(workbook)
        origin = re.match(r"(https?://[^/\s]+)/", workbook.strip())
        self.origin = origin[1] if origin else _web_origin(client.base)
        self.location = f"Feishu Sheets {self.token}"
        self.client = client
        self.timezone: str | None = None  # the API gives a sheet no time zone
        self.journal = Path(journal_dir) / f".sheetsync-{self.token}.writes.json"
        self.notices: list[tuple[str, dict]] = []  # (catalogue key, fields) for the report
        self._sheets: dict[str, dict] = {}
        self._grids: dict[str, list[list]] = {}
        self._lengths: dict[str, int] = {}  # each tab's rows as read
        self._diffs: dict[str, tuple] = {}  # a rewritten tab's differing cells
        self._left: dict | None = None  # what a write cut off before had made

    @property
    def calls(self) -> int:
        """API calls this run made so far (the token's included): the quota counts each."""
        return self.client.calls

    def __enter__(self) -> FeishuBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def found(self) -> list[tuple[str, dict]]:
        """What the write had to do: a stopped write finished, values moved back to their
        customers' rows (catalogue keys and fields, for the run's report)."""
        return list(self.notices)

    def tab_url(self, title: str) -> str:
        sheet = self._sheets.get(title, {}).get("id", "")
        return f"{self.origin}/sheets/{self.token}" + (f"?sheet={sheet}" if sheet else "")

    def held_by(self) -> str | None:
        """Never: people edit a Feishu sheet together, each edit merged as it is made."""
        return None

    # --- calls and refusals in Feishu's terms ---------------------------------------------
    def _call(self, method: str, rest: str, json_=None, params=None, version: int = 2) -> dict:
        path = f"/open-apis/sheets/v{version}/spreadsheets/{self.token}{rest}"
        try:
            return self.client.call(method, path, json_, params)
        except FeishuError as exc:
            raise self._explain(exc) from None

    def _explain(self, exc: FeishuError) -> BackendError:
        app, code = self.client.credentials.app_id, exc.code
        console = f"{self.client.base}/app/{app}"
        if code in NOT_SHARED:
            return BackendError.said("feishu_not_shared", sheet=self.token, app=app, code=code)
        if code in NO_SCOPE:
            return BackendError.said("feishu_no_scope", app=app, url=f"{console}/auth", code=code)
        if code in WRONG_SECRET:
            return BackendError.said("feishu_wrong_secret", app=app, url=console, code=code)
        if code in SHEET_GONE:
            return BackendError.said("feishu_sheet_gone", sheet=self.token, code=code)
        if code in TAB_GONE:
            return BackendError.said("feishu_tab_gone", sheet=self.token, code=code)
        return BackendError.said("feishu_error", code=code, detail=exc.msg or str(exc))

    # --- reading ----------------------------------------------------------------------------
    def read(self) -> dict[str, list[list]]:
        self._sheets = self._tabs()
        self._grids = self._values(list(self._sheets))
        self._lengths = {t: len(g) for t, g in self._grids.items()}
        return self._grids

    def keep_rows(self, titles: set[str]) -> None:
        """Only the tabs `titles` may be replaced whole: the others' rows are let go."""
        self._grids = {t: g for t, g in self._grids.items() if t in titles}

    def _tabs(self) -> dict[str, dict]:
        sheets = self._call("GET", "/sheets/query", version=3).get("sheets", [])
        sheets = sorted(sheets, key=lambda s: s.get("index", 0))
        return {
            s["title"]: {
                "id": s["sheet_id"],
                "rows": s.get("grid_properties", {}).get("row_count", 0),
                "cols": s.get("grid_properties", {}).get("column_count", 0),
                "hidden": s.get("hidden", False),
                "frozen": (
                    s.get("grid_properties", {}).get("frozen_row_count", 0),
                    s.get("grid_properties", {}).get("frozen_column_count", 0),
                ),
            }
            for s in sheets
            if s.get("resource_type", "sheet") == "sheet"  # a 多维表格 block is no grid
        }

    def _values(self, titles: list[str], cells: int = READ_CELLS) -> dict[str, list[list]]:
        """Each tab's grid, read in ranges of at most `cells` cells (a tab of 10 k rows in a
        few), as few requests as fit; an answer Feishu finds too large is asked in halves."""
        pieces = []  # (title, first row, last row, last column)
        for title in titles:
            tab = self._sheets[title]
            rows, cols = max(tab["rows"], 1), max(tab["cols"], 1)
            step = max(1, cells // cols)
            pieces += [(title, r, min(r + step - 1, rows), cols) for r in range(1, rows + 1, step)]
        blocks: dict[tuple, list[list]] = {}
        batch: list[tuple] = []
        size = 0
        for piece in pieces:
            area = (piece[2] - piece[1] + 1) * piece[3]
            if batch and size + area > cells:
                blocks.update(self._get(batch))
                batch, size = [], 0
            batch.append(piece)
            size += area
        if batch:
            blocks.update(self._get(batch))
        grids: dict[str, list[list]] = {t: [] for t in titles}
        for piece in pieces:
            rows = blocks[piece]
            grid = grids[piece[0]]
            grid.extend([] for _ in range(piece[1] - 1 - len(grid)))  # rows above it empty
            grid.extend(rows)
        return {t: _trimmed(g) for t, g in grids.items()}

    def _get(self, pieces: list[tuple]) -> dict[tuple, list[list]]:
        ranges = [
            f"{self._sheets[t]['id']}!A{first}:{column_letter(cols)}{last}"
            for t, first, last, cols in pieces
        ]
        params = {"ranges": ",".join(ranges), "valueRenderOption": "UnformattedValue"}
        try:
            answer = self.client.call(
                "GET",
                f"/open-apis/sheets/v2/spreadsheets/{self.token}/values_batch_get",
                None,
                params,
            )
        except FeishuError as exc:
            if exc.code != TOO_LARGE:
                raise self._explain(exc) from None
            return self._halves(pieces)
        found = answer.get("valueRanges", [])
        out = {}
        for piece, value_range in zip(pieces, found, strict=True):
            out[piece] = [[_plain(v) for v in row] for row in value_range.get("values") or []]
        return out

    def _halves(self, pieces: list[tuple]) -> dict[tuple, list[list]]:
        if len(pieces) > 1:
            middle = len(pieces) // 2
            return {**self._get(pieces[:middle]), **self._get(pieces[middle:])}
        title, first, last, cols = pieces[0]
        if first == last:
            raise BackendError.said("feishu_error", code=TOO_LARGE, detail="TooLargeResponse")
        middle = (first + last) // 2
        upper = self._get([(title, first, middle, cols)])[(title, first, middle, cols)]
        lower = self._get([(title, middle + 1, last, cols)])[(title, middle + 1, last, cols)]
        upper = upper + [[] for _ in range(middle - first + 1 - len(upper))]
        return {pieces[0]: upper + lower}

    # --- writing ------------------------------------------------------------------------------
    def write(self, changes: Changeset) -> None:
        left = self._left = self._journal_left()
        if left:  # a write cut off before: this run's differences are the rest of it
            self.notices.append(("feishu_resumed", left))
        cells_tabs = sorted({c.tab for c in [*changes.new_headers, *changes.cells]})
        renamed = sorted({r.tab for r in changes.renames})
        appended = sorted(t for t in changes.append if t in self._sheets)
        read = sorted({*cells_tabs, *renamed, *appended})
        now = self._values(read) if read else {}
        plan = _Plan()
        for title in renamed:  # first: the cells below go under the headers as renamed
            placed = list(
                _renamed(title, now[title], [r for r in changes.renames if r.tab == title])
            )
            plan.put_all(title, placed)
            now[title] = _with_renames(now[title], placed)
        wanted: dict[str, dict[tuple[str, str], object]] = {}  # tab -> (id, header) -> value
        for title in cells_tabs:
            headers = [c for c in changes.new_headers if c.tab == title]
            cells = [c for c in changes.cells if c.tab == title]
            plan.put_all(title, list(_rematch(title, now[title], headers, cells)))
            wanted[title] = {(c.customer_id, normalise_header(c.header)): c.new for c in cells}
        self._place(plan, changes, {t: len(g) for t, g in now.items()})
        self._apply(plan, changes)
        for title in cells_tabs:  # what each customer's cells must hold, checked by id
            self._read_back(title, now[title], wanted[title])

    def _place(self, plan: _Plan, changes: Changeset, lengths: dict[str, int]) -> None:
        """The rewritten tabs' differing cells, and the appended rows under the `lengths`
        rows each tab has."""
        for title, rows in changes.replace.items():
            plan.cells.setdefault(title, {}).update(self._replaced(title, rows))
        for title, rows in changes.append.items():  # under the last row there now
            plan.put_all(
                title,
                [
                    (lengths.get(title, 0) + i + 1, c + 1, v)
                    for i, row in enumerate(rows)
                    for c, v in enumerate(row)
                    if not is_blank(v)
                ],
            )

    def _replaced(self, title: str, rows: list[list]) -> dict:
        """The cells of a rewritten tab that differ from what was read (made once: the quota
        estimate and the write share it)."""
        cached = self._diffs.get(title)
        if cached is None or cached[0] is not rows:
            plan = _Plan()
            plan.replace(title, rows, self._grids.get(title) if title in self._sheets else None)
            cached = self._diffs[title] = (rows, plan.cells.get(title, {}))
        return cached[1]

    def _apply(self, plan: _Plan, changes: Changeset) -> None:
        new = [t for t in plan.tabs() if t not in self._sheets]
        if new:
            self._add_tabs(new, changes.hidden)
        batches = self._batches(plan)
        layout = self._layout_requests(changes)
        total = len(batches) + (1 if layout else 0)
        self._journal_write(0, total)
        for done, (method, rest, body) in enumerate(batches):
            try:
                self._call(method, rest, body)
            except BackendError as exc:
                if not done:  # nothing was written: said so, as it is (an earlier cut-off's
                    if self._left:  # journal is kept for the run that finishes it)
                        self._journal_write(self._left["done"], self._left["total"])
                    else:
                        self.journal.unlink(missing_ok=True)
                    raise
                raise BackendError.said(
                    "feishu_partly_written", done=done, total=total, cause=exc
                ) from None
            self._journal_write(done + 1, total)
        if layout:
            self._call("POST", "/sheets_batch_update", {"requests": layout})
        self.journal.unlink(missing_ok=True)

    def _add_tabs(self, titles: list[str], hidden: set[str], again: bool = True) -> None:
        """The tabs `titles`, added. A retry of an add Feishu made but did not answer is
        refused as "sheet title already exists" (90210): the tabs are then taken as they are
        and only those still missing are added."""
        requests_ = [
            {"addSheet": {"properties": {"title": t, "index": len(self._sheets) + i}}}
            for i, t in enumerate(titles)
        ]
        path = f"/open-apis/sheets/v2/spreadsheets/{self.token}/sheets_batch_update"
        try:
            replies = self.client.call("POST", path, {"requests": requests_})
        except FeishuError as exc:
            if exc.code != TITLE_TAKEN or not again:
                raise self._explain(exc) from None
            there = self._tabs()
            self._sheets.update({t: there[t] for t in titles if t in there})
            missing = [t for t in titles if t not in self._sheets]
            if missing:
                self._add_tabs(missing, set(), again=False)
            replies = {}
        for reply in replies.get("replies", []):
            props = reply.get("addSheet", {}).get("properties", {})
            self._sheets[props["title"]] = {"id": props["sheetId"], "rows": 200, "cols": 20}
        hide = [
            {"updateSheet": {"properties": {"sheetId": self._sheets[t]["id"], "hidden": True}}}
            for t in titles
            if t in hidden
        ]
        if hide:  # the sync's memory: not a tab people work in
            self._call("POST", "/sheets_batch_update", {"requests": hide})
        for title in titles:
            self._grids.setdefault(title, [])

    def _batches(self, plan: _Plan, sheets: dict | None = None) -> list[tuple[str, str, dict]]:
        """Grid growth, then formats, then values: each (method, path, body). `sheets`: the
        tabs as they are (a copy, to count the requests without making them)."""
        sheets = self._sheets if sheets is None else sheets
        out: list[tuple[str, str, dict]] = []
        for title in plan.tabs():
            tab = sheets[title]
            rows, cols = plan.extent(title)
            for dimension, need, key in (("ROWS", rows, "rows"), ("COLUMNS", cols, "cols")):
                while need > tab[key]:
                    length = min(need - tab[key], MAX_ROWS)
                    body = {
                        "dimension": {
                            "sheetId": tab["id"],
                            "majorDimension": dimension,
                            "length": length,
                        }
                    }
                    out.append(("POST", "/dimension_range", body))
                    tab[key] += length
        styles: dict[str, list[str]] = {}
        for title in plan.tabs():
            for style, blocks in plan.style_blocks(title).items():
                styles.setdefault(style, []).extend(_a1(sheets[title]["id"], *b) for b in blocks)
        data = []
        for style, ranges in styles.items():
            for i in range(0, len(ranges), MAX_RANGES):
                data.append({"ranges": ranges[i : i + MAX_RANGES], "style": _style(style)})
        for i in range(0, len(data), 10):
            out.append(("PUT", "/styles_batch_update", {"data": data[i : i + 10]}))
        value_ranges = [
            {"range": _a1(sheets[title]["id"], r, c, len(rows), len(rows[0])), "values": rows}
            for title in plan.tabs()
            for r, c, rows in plan.value_blocks(title)
        ]
        batch: list[dict] = []
        rows_in = size = 0
        for vr in value_ranges:
            length = len(json.dumps(vr, ensure_ascii=False).encode()) + 2
            if batch and (rows_in + len(vr["values"]) > MAX_ROWS or size + length > MAX_BODY):
                out.append(("POST", "/values_batch_update", {"valueRanges": batch}))
                batch, rows_in, size = [], 0, 0
            batch.append(vr)
            rows_in += len(vr["values"])
            size += length
        if batch:
            out.append(("POST", "/values_batch_update", {"valueRanges": batch}))
        return out

    def _layout_requests(self, changes: Changeset) -> list[dict]:
        out = []
        for title, layout in changes.layout.items():
            tab = self._sheets.get(title, {})
            if layout.freeze and tab and tuple(layout.freeze) != tab.get("frozen"):
                rows, cols = layout.freeze
                props = {
                    "sheetId": self._sheets[title]["id"],
                    "frozenRowCount": rows,
                    "frozenColCount": cols,
                }
                out.append({"updateSheet": {"properties": props}})
        return out

    def _read_back(self, title: str, before: list[list], wanted: dict) -> None:
        """Every written column of `title` checked by customer id against what it must hold:
        cells a person's sort, insert or delete between two batches put on the wrong
        customer are written again where each customer's row is now, and the sync's cells
        that landed on a customer added meanwhile are cleared (the next run computes it)."""
        if not wanted:
            return
        columns = {h for _, h in wanted}
        must = _by_id(title, before, columns)  # what each customer held when it began
        must.update({key: value for key, value in wanted.items() if key[0]})
        known = {cid for cid, _ in _positions(title, before, set())} | {c for c, _ in wanted}
        known |= set(_all_ids(title, before))
        repaired = 0
        for _ in range(REPAIR_ROUNDS):
            self._sheets.update(self._tabs())
            now = self._values([title])[title]
            found = _by_id(title, now, columns)
            fixes = {
                key: value
                for key, value in must.items()
                if key in found and not _same(value, found[key])
            }
            fixes.update(
                {
                    key: ""
                    for key, value in found.items()
                    if key[0] not in known and not is_blank(value) and value != ""
                }
            )
            if not fixes:
                break
            log.warning(
                "Feishu: %d cells of %s read back on the wrong row; written again",
                len(fixes),
                title,
            )
            repaired += len(fixes)
            place = _positions(title, now)
            plan = _Plan()
            for key, value in fixes.items():
                plan.put(title, *place[key], value)
            self._apply(plan, Changeset())
        else:
            raise BackendError.said("feishu_moving", tab=title)
        if repaired:
            self.notices.append(("feishu_repaired", {"tab": title, "cells": repaired}))

    # --- the quota ----------------------------------------------------------------------------
    def expected_calls(self, changes: Changeset) -> int:
        """The calls this run will have made once `changes` are written: those made so far and
        the write's (re-read, new tabs, formats, values by 5,000 rows, layout, read-back), for
        the sync log, before the write, when it is planned."""
        sheets = {t: dict(p) for t, p in self._sheets.items()}
        cells_tabs = {c.tab for c in [*changes.new_headers, *changes.cells]}
        read = cells_tabs | {r.tab for r in changes.renames}
        read |= {t for t in changes.append if t in sheets}
        calls = self.calls + (_reads(sheets, read) if read else 0)
        plan = _Plan()
        for change in [*changes.renames, *changes.new_headers, *changes.cells]:
            plan.put(change.tab, change.row, change.column, change.new)
        self._place(plan, changes, self._lengths)
        new = [t for t in plan.tabs() if t not in sheets]
        for title in new:
            sheets[title] = {"id": "new", "rows": 200, "cols": 20}
        calls += (1 + bool(set(new) & changes.hidden)) if new else 0
        calls += len(self._batches(plan, sheets)) + bool(self._layout_requests(changes))
        if cells_tabs:  # the read-back: the tabs, then the follow-up tab
            calls += 1 + _reads(sheets, cells_tabs)
        return calls

    # --- the journal ------------------------------------------------------------------------
    def _journal_write(self, done: int, total: int) -> None:
        entry = {"sheet": self.token, "done": done, "total": total, "at": time.time()}
        self.journal.write_text(json.dumps(entry), encoding="utf-8")

    def _journal_left(self) -> dict | None:
        """What a write cut off before had made: {done, total}, or None."""
        try:
            entry = json.loads(self.journal.read_text(encoding="utf-8"))
            return {"done": int(entry["done"]), "total": int(entry["total"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    # --- init --spreadsheet -----------------------------------------------------------------
    def set_up(self, content) -> int:
        """`init --spreadsheet`: the template's tabs with their rows where a tab is missing
        or empty; tabs people already filled stay as they are."""
        grids = self.read()
        replace = {t.title: t.rows for t in content.tabs if not grids.get(t.title)}
        hidden = {t.title for t in content.tabs if t.hidden}
        self.write(Changeset(replace=replace, hidden=hidden))
        return len(replace)


def _a1(sheet: str, row: int, column: int, height: int, width: int) -> str:
    first = f"{column_letter(column)}{row}"
    return f"{sheet}!{first}:{column_letter(column + width - 1)}{row + height - 1}"


def _reads(sheets: dict[str, dict], titles) -> int:
    """Requests to read the tabs `titles` (as _values cuts them)."""
    area = sum(
        max(sheets[t].get("rows", 0), 1) * max(sheets[t].get("cols", 0), 1)
        for t in titles
        if t in sheets
    )
    return max(1, math.ceil(area / READ_CELLS))


def run_calls(sheets: dict[str, dict], followups: str, rows: int) -> int:
    """About the calls of one sync of a sheet with these tabs: the token, the tabs and the
    read; at write time the follow-up tab and the log read again, formats, the values (a
    daily run changes a cell in most rows: 阶段天数, 健康度), and the read-back."""

    follow = _reads(sheets, [followups])
    values = math.ceil(max(rows, 1) / MAX_ROWS)
    return 2 + _reads(sheets, list(sheets)) + follow + 1 + 1 + values + 1 + follow


def month_calls(
    sheets: dict[str, dict], followups: str, rows: int, every: int, hours: tuple[str, str]
) -> tuple[int, int]:
    """(calls in a 31-day month, calls a run): a daily run, and an events-only check every
    `every` minutes between `hours` (serve's --events-every, --events-hours), every day."""
    per_run = run_calls(sheets, followups, rows)
    start, end = (int(h[:2]) * 60 + int(h[3:]) for h in hours)
    checks = (end - start) // every + 1 if every else 0
    return 31 * (1 + checks) * per_run, per_run


class _Plan:
    """Cells to write, by tab: (row, column) -> value, 1-based."""

    def __init__(self) -> None:
        self.cells: dict[str, dict[tuple[int, int], object]] = {}

    def tabs(self) -> list[str]:
        return [t for t, cells in self.cells.items() if cells]

    def put(self, title: str, row: int, column: int, value: object) -> None:
        self.cells.setdefault(title, {})[(row, column)] = value

    def put_all(self, title: str, placed) -> None:
        for row, column, value in placed:
            self.put(title, row, column, value)

    def replace(self, title: str, rows: list[list], old: list[list] | None) -> None:
        """A whole tab's content: the cells that differ from what was read (all of a new
        tab's), and the rows it no longer has cleared."""
        self.cells.setdefault(title, {})
        old = old or []
        for r in range(max(len(rows), len(old))):
            new_row = rows[r] if r < len(rows) else []
            old_row = old[r] if r < len(old) else []
            for c in range(max(len(new_row), len(old_row))):
                new = new_row[c] if c < len(new_row) else None
                was = old_row[c] if c < len(old_row) else None
                if not _same(new, was):
                    self.put(title, r + 1, c + 1, new)

    def extent(self, title: str) -> tuple[int, int]:
        cells = self.cells.get(title, {})
        return max(r for r, _ in cells), max(c for _, c in cells)

    def value_blocks(self, title: str):
        """(first row, first column, rows of values): runs of adjacent columns in a row,
        stacked with the same run in the rows below, each under 5,000 rows x 100 columns."""
        cells = self.cells.get(title, {})
        return [
            (r, c, [[_sent(cells[(r + i, c + j)]) for j in range(w)] for i in range(h)])
            for r, c, h, w in _stacked(cells)
        ]

    def style_blocks(self, title: str) -> dict[str, list[tuple[int, int, int, int]]]:
        """(row, column, height, width) blocks of the cells needing a formatter or bold:
        a date column of 10,000 rows is one range, not 10,000."""
        by_style: dict[str, dict[tuple[int, int], object]] = {}
        for key, value in self.cells.get(title, {}).items():
            style = _kind(value)
            if style:
                by_style.setdefault(style, {})[key] = value
        return {style: _stacked(cells) for style, cells in by_style.items()}


def _stacked(cells: dict[tuple[int, int], object]) -> list[tuple[int, int, int, int]]:
    """The (row, column) positions as rectangles (first row, first column, height, width):
    runs of adjacent columns in a row, stacked with the same run in the rows below, each at
    most 5,000 rows x 100 columns."""
    by_row: dict[int, list[int]] = {}
    for r, c in cells:
        by_row.setdefault(r, []).append(c)
    open_: dict[tuple[int, int], list[int]] = {}  # (first, last column) -> [first, last row]
    done = []
    for row in sorted(by_row):
        for start, end in _runs(sorted(by_row[row])):
            for first in range(start, end + 1, MAX_COLUMNS):
                run = (first, min(end, first + MAX_COLUMNS - 1))
                block = open_.get(run)
                if block and block[1] == row - 1 and block[1] - block[0] + 1 < MAX_ROWS:
                    block[1] = row
                    continue
                if block:
                    done.append((block[0], run[0], block[1] - block[0] + 1, run[1] - run[0] + 1))
                open_[run] = [row, row]
    done += [(b[0], run[0], b[1] - b[0] + 1, run[1] - run[0] + 1) for run, b in open_.items()]
    return sorted(done)


def _kind(value: object) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return "date"
    if isinstance(value, Share):
        return "percent"
    if isinstance(value, Amount):
        return "amount"
    if isinstance(value, Heading):
        return "bold"
    return ""


def _style(kind: str) -> dict:
    styles: dict[str, dict] = {
        "date": {"formatter": DATE},
        "percent": {"formatter": PERCENT},
        "amount": {"formatter": AMOUNT},
        "bold": BOLD,
    }
    return styles[kind]


def _sent(value: object) -> object:
    """A value as Feishu takes it: dates as serial numbers, blanks as "" (clearing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return to_excel(value)
    if isinstance(value, dt.date):
        return _serial(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, (Share, Amount)) else value
    return str(value)


@lru_cache(maxsize=4096)
def _serial(day: dt.date) -> int:
    return (day - EPOCH).days


def _plain(value: object) -> object:
    """A cell as read: empty as "", segments (links, @mentions, styled runs) as their text,
    a formula object as its value."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "".join(str(s.get("text", "")) if isinstance(s, dict) else str(s) for s in value)
    if isinstance(value, dict):
        return value.get("text", value.get("value", ""))
    return value


def _trimmed(grid: list[list]) -> list[list]:
    out = []
    for row in grid:
        row = list(row)
        while row and (row[-1] == "" or row[-1] is None):
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


def _by_id(title: str, grid: list[list], headers: set[str]) -> dict[tuple[str, str], object]:
    """(customer id, header) -> value for the customers whose id is on one row only."""
    return {
        key: grid[r - 1][c - 1] if c <= len(grid[r - 1]) else ""
        for key, (r, c) in _positions(title, grid, headers).items()
    }


def _all_ids(title: str, grid: list[list]) -> list[str]:
    """Every customer id on the tab, duplicates included."""
    sheet = load_sheet(grid, FOLLOWUPS, title, PEOPLE_KEYS)
    return [normalise_id(c) for c in sheet.frame["customer_id"]] if sheet.header_row else []


def _positions(
    title: str, grid: list[list], headers: set[str] | None = None
) -> dict[tuple[str, str], tuple[int, int]]:
    """(customer id, header) -> (row, column) where that cell is now."""
    sheet = load_sheet(grid, FOLLOWUPS, title, PEOPLE_KEYS)
    if not sheet.header_row:
        return {}
    header = grid[sheet.header_row - 1]
    columns = {normalise_header(h): i for i, h in enumerate(header, start=1) if not is_blank(h)}
    if headers is not None:
        columns = {h: c for h, c in columns.items() if h in headers}
    rows: dict[str, list[int]] = {}
    for cid, number in zip(sheet.frame["customer_id"], sheet.frame["_row"], strict=True):
        rows.setdefault(normalise_id(cid), []).append(int(number))
    return {
        (cid, h): (found[0], c)
        for cid, found in rows.items()
        if cid and len(found) == 1
        for h, c in columns.items()
    }


def _web_origin(base: str) -> str:
    """Where people open sheets for an API host: open.feishu.cn -> https://feishu.cn."""
    return re.sub(r"//open\.", "//", base.rstrip("/"))

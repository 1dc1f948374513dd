"""The shared-team backend: a Google Sheets spreadsheet, through gspread's HTTP client and
google-auth service-account credentials.

Requests per sync do not grow with the rows: one metadata GET and one values:batchGet to
read; at write time one values:batchGet of the follow-up tab (rows are matched by customer id
*then*, so a sort or an insert while we computed lands nothing on the wrong row) and one
spreadsheets:batchUpdate carrying every change. The API applies a batchUpdate all or nothing;
it is split only past ~2 MB. Text is sent as stringValue, so it never becomes a formula;
dates as numbers with a date format, so they sort and filter as dates.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import requests
from google.auth.exceptions import GoogleAuthError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from openpyxl.utils.datetime import to_excel
from requests.adapters import HTTPAdapter

from sheetsync.backends import looks_like_sheet, spreadsheet_key  # noqa: F401  (re-exported)
from sheetsync.errors import BackendError, ConfigError, WorkbookError
from sheetsync.workbook.changes import CellChange, Changeset, Chart, Heading, Share
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import FOLLOWUPS, PEOPLE_COLUMNS, SYNC_COLUMNS, normalise_header
from sheetsync.workbook.tables import load_sheet
from sheetsync.workbook.validate import normalise_id

GOOGLE_API = "https://sheets.googleapis.com"
# every Google host google-auth and gspread may call; all routed when `endpoint` is not Google
GOOGLE_HOSTS = (
    GOOGLE_API,
    "https://iamcredentials.googleapis.com",
    "https://oauth2.googleapis.com",
)
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_PAYLOAD = 2_000_000
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
PERCENT_FORMAT = {"type": "PERCENT", "pattern": "0.0%"}
FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"
TAB_FIELDS = f"{FIELDS},userEnteredFormat.textFormat.bold"  # tabs the sync owns: titles bold
PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)
log = logging.getLogger("sheetsync")


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def pause_for(seconds: float) -> None:
    """The backoff wait (tests replace it with a fake clock, so a minute of 429s takes no time)."""
    time.sleep(seconds)


@dataclass
class RetryPolicy:
    """Bounded retries: gspread's own BackOffHTTPClient retries without end.

    The budget is time, not tries: Google's quotas are per minute, and a 429 answers for the
    rest of that minute (35-41 s in recorded sessions, with no Retry-After), so a request is
    retried until `total` seconds have been waited, the last wait cut to fit. "Equal jitter"
    keeps every wait at least half its ceiling (1-2 s, 2-4, 4-8, 8-16, then 15-30 s), so even
    unlucky draws add up to `total` within `attempts` tries: the defaults outlast a full
    minute's refusals.
    """

    attempts: int = 10
    base: float = 2.0
    cap: float = 30.0
    total: float = 90.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter"

    def wait(self, tries: int, waited: float, retry_after: str | None) -> float | None:
        """Seconds to wait after try number `tries` failed, or None: the budget is spent (or
        Google asks for a longer wait than what is left of it)."""
        left = self.total - waited
        if tries >= self.attempts or left < 1e-6:
            return None
        if retry_after and retry_after.strip().isdigit():
            return float(retry_after) if float(retry_after) <= left else None
        return min(self.delay(tries - 1), left)


def _failure(exc: APIError) -> str:
    """What went wrong, in words: a 429 names the quota Google says was used up."""
    status = exc.response.status_code
    if status != 429:
        return f"HTTP {status}"
    limit = re.search(r"limit '([^']+)'", str(exc.error.get("message", "")))
    return f"HTTP 429, over the quota: {limit[1] if limit else 'requests per minute'}"


class RetryingHTTPClient(HTTPClient):
    """Retries 429, 5xx and dropped connections under `policy`, logging each wait. Retrying
    a batchUpdate refused with 429 is safe: Google rejects the whole request unapplied."""

    policy = RetryPolicy()

    def request(self, *args, **kwargs):
        waited, tries = 0.0, 0
        while True:
            tries += 1
            try:
                return super().request(*args, **kwargs)
            except APIError as exc:
                if exc.response.status_code not in RETRY_STATUSES:
                    raise
                failure, retry_after = _failure(exc), exc.response.headers.get("Retry-After")
            except requests.ConnectionError:
                failure, retry_after = "no connection", None
            pause = self.policy.wait(tries, waited, retry_after)
            if pause is None:
                raise BackendError(
                    f"Google Sheets kept failing ({failure}) after {tries} tries over "
                    f"{waited:.0f} s; nothing was written this run. Try again later."
                )
            _log_wait(failure, tries, pause, waited)
            pause_for(pause)
            waited += pause


def _log_wait(failure: str, tries: int, pause: float, waited: float) -> None:
    log.warning(
        "Google Sheets try %d failed (%s); waiting %.1f s (%.1f s waited so far)",
        tries, failure, pause, waited,
        extra={"failure": failure, "try": tries, "wait_s": round(pause, 1), "waited_s": round(waited, 1)},
    )  # fmt: skip


class _Redirect(HTTPAdapter):
    """Sends requests meant for one of Google's hosts to another endpoint (a local server)."""

    def __init__(self, endpoint: str, host: str) -> None:
        super().__init__()
        self.endpoint, self.host = endpoint.rstrip("/"), host

    def send(self, request, **kwargs):
        request.url = self.endpoint + request.url[len(self.host) :]
        return super().send(request, **kwargs)


def _routed(session: requests.Session, endpoint: str) -> requests.Session:
    for host in GOOGLE_HOSTS:
        session.mount(host, _Redirect(endpoint, host))
    return session


def load_credentials(path: str) -> service_account.Credentials:
    if not path:
        raise ConfigError(
            "Google Sheets needs a service-account key file: set gsheets.credentials in the "
            "settings or GOOGLE_APPLICATION_CREDENTIALS to its path (see README, Google Sheets)"
        )
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the service-account key file {path}: {exc.strerror}"
        ) from None
    except (ValueError, KeyError, GoogleAuthError):
        raise ConfigError(
            f'{path} is not a service-account key file (JSON with type "service_account", '
            "from Google Cloud console > IAM > Service accounts > Keys)"
        ) from None


class GSheetsBackend:
    def __init__(self, workbook: str, credentials: str, endpoint: str = GOOGLE_API,
                 policy: RetryPolicy | None = None) -> None:  # fmt: skip
        self.key = spreadsheet_key(workbook)
        self.location = f"Google Sheets {self.key}"
        self.credentials = load_credentials(credentials)
        if endpoint.rstrip("/") == GOOGLE_API:
            session = AuthorizedSession(self.credentials)
        else:  # another endpoint: nothing may reach Google, token and IAM lookups included
            auth_request = GoogleRequest(_routed(requests.Session(), endpoint))
            session = _routed(
                AuthorizedSession(self.credentials, auth_request=auth_request), endpoint
            )
        self.http = RetryingHTTPClient(self.credentials, session)
        self.http.policy = policy or RetryPolicy()
        self.timezone: str | None = None
        self._sheets: dict[str, dict] = {}
        self._charts: dict[str, list[dict]] = {}
        self._grids: dict[str, list[list]] = {}

    def __enter__(self) -> GSheetsBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def held_by(self) -> str | None:
        """Never: people edit a Google sheet together, and every write merges with theirs."""
        return None

    def _call(self, method: str, *args):
        try:
            return getattr(self.http, method)(self.key, *args)
        except APIError as exc:
            raise self._explain(exc) from None
        except (TransportError, GoogleAuthError) as exc:
            raise BackendError(f"could not get a Google access token: {exc}") from None

    def _explain(self, exc: APIError) -> BackendError:
        status = exc.response.status_code
        if status == 403:
            return BackendError(
                f"the spreadsheet {self.key} is not shared with the service account "
                f"{self.credentials.service_account_email}: in Google Sheets, Share it with that "
                "address as Editor, then run again"
            )
        if status == 404:
            return BackendError(
                f"no spreadsheet with key {self.key}: check `workbook` (the key or the sheet's URL)"
            )
        if status == 401:
            return BackendError(
                "Google rejected the service-account credentials; create a new key file"
            )
        return BackendError(f"Google Sheets answered HTTP {status}: {exc.error.get('message', '')}")

    def read(self) -> dict[str, list[list]]:
        meta = self._call("fetch_sheet_metadata")
        self.timezone = meta.get("properties", {}).get("timeZone")
        self._sheets = {s["properties"]["title"]: s["properties"] for s in meta.get("sheets", [])}
        self._charts = {
            s["properties"]["title"]: s.get("charts", []) for s in meta.get("sheets", [])
        }
        self._grids = self._values(list(self._sheets))
        return self._grids

    def _values(self, titles: list[str]) -> dict[str, list[list]]:
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                  "majorDimension": "ROWS"}  # fmt: skip
        answer = self._call("values_batch_get", [quote(t) for t in titles], params)
        return {
            t: r.get("values", [])
            for t, r in zip(titles, answer.get("valueRanges", []), strict=True)
        }

    def set_up(self, content) -> int:
        """`init --spreadsheet`: the template's tabs, headers and aids, in one batchUpdate."""
        meta = self._call("fetch_sheet_metadata")
        grids = self._values([s["properties"]["title"] for s in meta.get("sheets", [])])
        requests_ = setup_requests(meta, grids, content)
        for chunk in _chunks(requests_):
            self._call("batch_update", {"requests": chunk})
        return len(requests_)

    # --- writing -------------------------------------------------------------------------
    def write(self, changes: Changeset) -> None:
        requests_ = _Requests(self._sheets)
        requests_.hidden = changes.hidden
        tabs = sorted({c.tab for c in [*changes.new_headers, *changes.cells]})
        now = self._values(tabs) if tabs else {}
        for title in tabs:
            headers = [c for c in changes.new_headers if c.tab == title]
            cells = [c for c in changes.cells if c.tab == title]
            requests_.cells(title, list(_rematch(title, now[title], headers, cells)))
        for title in sorted({r.tab for r in changes.renames}):
            renames = [r for r in changes.renames if r.tab == title]
            requests_.cells(title, list(_renamed(title, self._values([title])[title], renames)))
        for title, rows in changes.replace.items():
            requests_.replace(title, rows, self._grids.get(title))
        for title, rows in changes.append.items():
            requests_.append(title, rows)
        for title, charts in changes.charts.items():
            requests_.charts(title, charts, self._charts.get(title, []))
        for chunk in requests_.chunks():
            self._call("batch_update", {"requests": chunk})


def _rematch(title: str, grid: list[list], headers: list[CellChange], cells: list[CellChange]):
    """Where each change goes now: its customer's current row, found by id (a customer
    deleted meanwhile is skipped); a sync column whose header is gone stops the write."""
    sheet = load_sheet(grid, FOLLOWUPS, title, PEOPLE_KEYS)
    header = grid[sheet.header_row - 1] if sheet.header_row else []
    columns = {normalise_header(h): i for i, h in enumerate(header, start=1) if not is_blank(h)}
    width = max(columns.values(), default=0)
    for change in headers:  # new sync-owned columns go after whatever is there now
        if normalise_header(change.header) not in columns:
            width += 1
            columns[normalise_header(change.header)] = width
            yield sheet.header_row or 1, width, change.new
    rows_by_id: dict[str, list[int]] = {}
    for cid, number in zip(sheet.frame["customer_id"], sheet.frame["_row"], strict=True):
        rows_by_id.setdefault(normalise_id(cid), []).append(int(number))
    for change in cells:
        column = columns.get(normalise_header(change.header))
        if column is None:
            raise WorkbookError(
                f'tab "{title}": the column "{change.header}" was renamed or removed while the '
                "sync ran; nothing was written"
            )
        rows = rows_by_id.get(change.customer_id, [])
        if change.customer_id and len(rows) == 1:
            yield rows[0], column, change.new
        elif change.row in rows:  # a blank or duplicated id: only where that row still is
            yield change.row, column, change.new


def _renamed(title: str, grid: list[list], renames: list[CellChange]):
    """Header renames, only where the header still reads as planned: a header someone
    changed meanwhile stops the write instead of being overwritten."""
    for change in renames:
        row = grid[change.row - 1] if change.row <= len(grid) else []
        now = row[change.column - 1] if change.column <= len(row) else None
        if normalise_header(now) != normalise_header(change.old):
            raise WorkbookError(
                f'tab "{title}": the header "{change.old}" changed while adopting; nothing was written'
            )
        yield change.row, change.column, change.new


def _same(new: object, old: object) -> bool:
    """Would writing `new` change a cell that reads back (unformatted) as `old`?"""
    if is_blank(new) or new == "":
        return is_blank(old) or old == ""
    if isinstance(new, (dt.date, dt.datetime)):
        return (
            isinstance(old, (int, float))
            and not isinstance(old, bool)
            and abs(to_excel(new) - old) < 1e-9
        )
    if isinstance(new, bool) or isinstance(old, bool):
        return new is old
    if isinstance(new, (int, float)) and isinstance(old, (int, float)):
        return float(new) == float(old)
    return isinstance(old, str) and old == str(new)


def _runs(columns: list[int]):
    """[1, 2, 3, 7] -> (1, 3), (7, 7)."""
    start = prev = None
    for c in columns:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            yield start, prev
            start = prev = c
    if start is not None:
        yield start, prev


def _cell(value: object) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (dt.date, dt.datetime)):
        return {
            "userEnteredValue": {"numberValue": to_excel(value)},
            "userEnteredFormat": {"numberFormat": DATE_FORMAT},
        }
    if isinstance(value, Share):
        return {"userEnteredValue": {"numberValue": float(value)},
                "userEnteredFormat": {"numberFormat": PERCENT_FORMAT}}  # fmt: skip
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, Heading):
        return {"userEnteredValue": {"stringValue": str(value)},
                "userEnteredFormat": {"textFormat": {"bold": True}}}  # fmt: skip
    return {"userEnteredValue": {"stringValue": str(value)}}


class _Requests:
    """Builds the batchUpdate requests, growing grids and adding tabs as needed."""

    def __init__(self, sheets: dict[str, dict]) -> None:
        self.sheets = {
            t: dict(p, gridProperties=dict(p.get("gridProperties", {}))) for t, p in sheets.items()
        }
        self.structure: list[dict] = []
        self.hidden: set[str] = set()
        self.content: list[dict] = []
        self.next_id = max([p["sheetId"] for p in self.sheets.values()] + [0]) + 1

    def _sheet(self, title: str) -> dict:
        if title not in self.sheets:
            props = {
                "sheetId": self.next_id,
                "title": title,
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
            self.next_id += 1
            if title in self.hidden:  # the sync's memory: not a tab people work in
                props["hidden"] = True
            self.structure.append({"addSheet": {"properties": props}})
            self.sheets[title] = props
        return self.sheets[title]

    def _fit(self, title: str, rows: int, columns: int) -> int:
        props = self._sheet(title)
        grid = props["gridProperties"]
        for dimension, need, key in (
            ("ROWS", rows, "rowCount"),
            ("COLUMNS", columns, "columnCount"),
        ):
            have = grid.get(key, 1000 if key == "rowCount" else 26)
            if need > have:
                self.structure.append(
                    {
                        "appendDimension": {
                            "sheetId": props["sheetId"],
                            "dimension": dimension,
                            "length": need - have,
                        }
                    }
                )
                grid[key] = need
        return props["sheetId"]

    def cell(self, title: str, row: int, column: int, value: object) -> None:
        self.cells(title, [(row, column, value)])

    def cells(self, title: str, placed: list[tuple[int, int, object]]) -> None:
        """One updateCells per block of changed cells: a run of adjacent columns in a row,
        stacked with the same run in the rows below (a daily sync changes 阶段天数 in every
        row: one request, not one per customer)."""
        if not placed:
            return
        sheet_id = self._fit(title, max(r for r, _, _ in placed), max(c for _, c, _ in placed))
        by_row: dict[int, dict[int, object]] = {}
        for r, c, v in placed:
            by_row.setdefault(r, {})[c] = v
        blocks: dict[tuple[int, int], list] = {}  # (start, end) -> [first row, rows]
        open_runs: dict[tuple[int, int], int] = {}  # run -> the row it last grew at
        for row in sorted(by_row):
            values = by_row[row]
            for start, end in _runs(sorted(values)):
                cells = {"values": [_cell(values[c]) for c in range(start, end + 1)]}
                run = (start, end)
                if open_runs.get(run) == row - 1:
                    blocks[run][1].append(cells)
                else:
                    if run in blocks:
                        self._update(sheet_id, run, *blocks.pop(run))
                    blocks[run] = [row, [cells]]
                open_runs[run] = row
        for run, (first, rows) in blocks.items():
            self._update(sheet_id, run, first, rows)

    def _update(self, sheet_id: int, run: tuple[int, int], first: int, rows: list) -> None:
        self.content.append({"updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": first - 1, "columnIndex": run[0] - 1},
            "rows": rows, "fields": FIELDS,
        }})  # fmt: skip

    def replace(self, title: str, rows: list[list], old: list[list] | None) -> None:
        """A whole tab's new content. For a tab that exists, only the cells that differ from
        what was read are sent (a daily sync changes a few rows of a long task log)."""
        if old is None or title not in self.sheets:
            return self._rewrite(title, rows)
        sheet_id = self._fit(title, len(rows), max((len(r) for r in rows), default=1))
        for r in range(len(rows)):
            new_row, old_row = rows[r], old[r] if r < len(old) else []
            width = max(len(new_row), len(old_row))
            padded = list(new_row) + [None] * (width - len(new_row))
            changed = [
                c
                for c in range(width)
                if not _same(padded[c], old_row[c] if c < len(old_row) else None)
            ]
            for start, end in _runs(changed):
                self.content.append({"updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": r, "columnIndex": start},
                    "rows": [{"values": [_cell(v) for v in padded[start:end + 1]]}], "fields": TAB_FIELDS,
                }})  # fmt: skip
        if len(old) > len(rows):  # rows the new content no longer has
            self.content.append({"updateCells": {
                "range": {"sheetId": sheet_id, "startRowIndex": len(rows), "endRowIndex": len(old)},
                "fields": FIELDS,
            }})  # fmt: skip

    def _rewrite(self, title: str, rows: list[list]) -> None:
        width = max((len(r) for r in rows), default=1)
        sheet_id = self._fit(title, len(rows), width)
        grid = self.sheets[title]["gridProperties"]
        self.content.append({"updateCells": {
            "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": grid["rowCount"],
                      "startColumnIndex": 0, "endColumnIndex": grid["columnCount"]},
            "rows": [{"values": [_cell(v) for v in row]} for row in rows], "fields": TAB_FIELDS,
        }})  # fmt: skip

    def append(self, title: str, rows: list[list]) -> None:
        sheet_id = self._sheet(title)["sheetId"]
        self.content.append({"appendCells": {"sheetId": sheet_id, "rows": [{"values": [_cell(v) for v in row]} for row in rows], "fields": FIELDS}})  # fmt: skip

    def charts(self, title: str, charts: list[Chart], existing: list[dict]) -> None:
        """Charts are redrawn only when what they show differs from what is there (a person
        may move or resize them); never added twice."""
        sheet_id = self._sheet(title)["sheetId"]
        if sorted(_chart_key(c, sheet_id) for c in existing) == sorted(c.key() for c in charts):
            return
        for chart in existing:
            self.content.append({"deleteEmbeddedObject": {"objectId": chart["chartId"]}})
        for chart in charts:
            self.content.append({"addChart": {"chart": _chart_spec(sheet_id, chart)}})

    def chunks(self) -> list[list[dict]]:
        return _chunks([*self.structure, *self.content])


def _grid_range(sheet_id: int, cells: tuple[int, int, int]) -> dict:
    column, first, last = cells
    return {"sheetId": sheet_id, "startRowIndex": first - 1, "endRowIndex": last,
            "startColumnIndex": column - 1, "endColumnIndex": column}  # fmt: skip


def _chart_spec(sheet_id: int, chart: Chart) -> dict:
    def source(cells):
        return {"sourceRange": {"sources": [_grid_range(sheet_id, cells)]}}

    if chart.kind == "pie":
        spec = {"pieChart": {"legendPosition": "LABELED_LEGEND", "domain": source(chart.categories),
                             "series": source(chart.values)}}  # fmt: skip
    else:
        bar = chart.kind == "bar"
        spec = {"basicChart": {
            "chartType": "BAR" if bar else "COLUMN", "legendPosition": "NO_LEGEND", "headerCount": 0,
            "domains": [{"domain": source(chart.categories)}],
            "series": [{"series": source(chart.values), "targetAxis": "BOTTOM_AXIS" if bar else "LEFT_AXIS",
                        "dataLabel": {"type": "DATA"}}],
        }}  # fmt: skip
    row, column = chart.anchor
    anchor = {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": column - 1}
    return {"spec": {"title": chart.title, **spec},
            "position": {"overlayPosition": {"anchorCell": anchor, "widthPixels": 600, "heightPixels": 320}}}  # fmt: skip


def _chart_key(chart: dict, sheet_id: int) -> tuple:
    """Chart.key() of a chart read from the spreadsheet's metadata."""
    spec = chart.get("spec", {})

    def cells(source: dict) -> tuple | None:
        ranges = source.get("sourceRange", {}).get("sources", [])
        if len(ranges) != 1 or ranges[0].get("sheetId", 0) != sheet_id:
            return None
        r = ranges[0]
        return (
            r.get("startColumnIndex", 0) + 1,
            r.get("startRowIndex", 0) + 1,
            r.get("endRowIndex", 0),
        )

    if "pieChart" in spec:
        pie = spec["pieChart"]
        return (
            "pie",
            spec.get("title", ""),
            cells(pie.get("domain", {})),
            cells(pie.get("series", {})),
        )
    basic = spec.get("basicChart", {})
    kind = {"BAR": "bar", "COLUMN": "column"}.get(basic.get("chartType"), "other")
    domains, series = basic.get("domains", [{}]), basic.get("series", [{}])
    return (kind, spec.get("title", ""), cells(domains[0].get("domain", {})),
            cells(series[0].get("series", {})) if len(series) == 1 else None)  # fmt: skip


def _chunks(requests_: list[dict]) -> list[list[dict]]:
    """All requests in one batch, split only when the payload passes ~2 MB."""
    out, current, size = [], [], 0
    for request in requests_:
        length = len(json.dumps(request, ensure_ascii=False).encode())
        if current and size + length > MAX_PAYLOAD:
            out.append(current)
            current, size = [], 0
        current.append(request)
        size += length
    return [*out, current] if current else out


def _rgb(hex_colour: str) -> dict:
    value = int(hex_colour, 16)
    return {
        "red": (value >> 16 & 255) / 255,
        "green": (value >> 8 & 255) / 255,
        "blue": (value & 255) / 255,
    }


PROTECTION_NOTE = "sheetsync: computed by the daily sync; edits here are overwritten"


def setup_requests(meta: dict, grids: dict[str, list[list]], content) -> list[dict]:
    """Requests that make a spreadsheet match the template without touching existing data:
    missing tabs and headers, frozen header rows, colours, dropdowns, row colours for overdue
    and due today, and a warning-only protection of the columns the sync writes."""
    from sheetsync.workbook.schema import TABS

    props = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
    build = _Requests({t: s["properties"] for t, s in props.items()})
    build.hidden = {t.title for t in content.tabs if t.hidden}
    extra: list[dict] = []
    by_title = {tab.title(lc): tab for tab in TABS for lc in ("zh", "en")}
    for tab_content in content.tabs:
        title = tab_content.title
        existing = grids.get(title)
        if tab_content.form:  # 价值分级: filled when empty, never reshaped
            if not existing:
                build.replace(title, tab_content.rows, None if title not in props else [])
            continue
        if not existing:  # a new or empty tab gets the template's rows
            build._sheet(title)  # added even when the template leaves it empty (汇总)
            if tab_content.rows:
                build.replace(title, tab_content.rows, None if title not in props else [])
            header = tab_content.rows[0] if tab_content.rows else []
        else:
            header = list(existing[0])
            known = {normalise_header(h) for h in header}
            for h in tab_content.rows[0] if tab_content.rows else []:
                if normalise_header(h) not in known:
                    header.append(h)
                    build.cell(title, 1, len(header), h)
        if not header:
            continue
        sheet_id = build._sheet(title)["sheetId"]
        extra += _header_format(sheet_id, header, tab_content, content)
        if by_title.get(title) is FOLLOWUPS:
            extra += _followup_aids(sheet_id, header, tab_content, props.get(title, {}))
    return [*build.structure, *build.content, *extra]


def _header_format(sheet_id: int, header: list, tab_content, content) -> list[dict]:
    sync_headers = {normalise_header(tab_content.rows[0][c - 1]) for c in tab_content.sync_columns}
    requests_ = [{"updateSheetProperties": {
        "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount"}}]  # fmt: skip
    for c, h in enumerate(header):
        colour = (
            content.sync_header_fill if normalise_header(h) in sync_headers else content.header_fill
        )
        requests_.append({"repeatCell": {
            "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": c, "endColumnIndex": c + 1},
            "cell": {"userEnteredFormat": {"backgroundColor": _rgb(colour), "textFormat": {"bold": True}}},
            "fields": "userEnteredFormat(backgroundColor,textFormat)"}})  # fmt: skip
    return requests_


def _followup_aids(sheet_id: int, header: list, tab_content, existing: dict) -> list[dict]:
    columns = load_sheet([header], FOLLOWUPS, "").columns
    template = {
        normalise_header(tab_content.rows[0][c - 1]): values
        for c, values in tab_content.choices.items()
    }
    requests_ = []
    for c, h in enumerate(header, start=1):
        values = template.get(normalise_header(h))
        if values:
            requests_.append({"setDataValidation": {
                "range": {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": c - 1, "endColumnIndex": c},
                "rule": {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": v} for v in values]},
                         "strict": False, "showCustomUi": True}}})  # fmt: skip
    status = columns.get("status")
    formulas = {str(r.get("booleanRule", {}).get("condition", {}).get("values", [{}])[0].get("userEnteredValue"))
                for r in existing.get("conditionalFormats", [])}  # fmt: skip
    if status:
        letter = _letter(status)
        for word, colour in tab_content.row_colours.items():
            formula = f'=${letter}2="{word}"'
            if formula not in formulas:
                requests_.append({"addConditionalFormatRule": {"index": 0, "rule": {
                    "ranges": [{"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": len(header)}],
                    "booleanRule": {"condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": formula}]},
                                    "format": {"backgroundColor": _rgb(colour)}}}}})  # fmt: skip
    sync_cols = [columns[t.key] for t in SYNC_COLUMNS if t.key in columns]
    protected = {p.get("description") for p in existing.get("protectedRanges", [])}
    if sync_cols and PROTECTION_NOTE not in protected:
        requests_.append({"addProtectedRange": {"protectedRange": {
            "range": {"sheetId": sheet_id, "startRowIndex": 0, "startColumnIndex": min(sync_cols) - 1, "endColumnIndex": max(sync_cols)},
            "description": PROTECTION_NOTE, "warningOnly": True}}})  # fmt: skip
    return requests_


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)

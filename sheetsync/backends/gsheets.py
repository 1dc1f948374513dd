"""The shared-team backend: a Google Sheets spreadsheet, through gspread's HTTP client and
google-auth service-account credentials.

Requests per sync do not grow with the rows: one metadata GET and one values:batchGet to
read; at write time one values:batchGet of the follow-up tab and of the tabs rows are added to
(rows are matched by customer id *then*, so a sort or an insert while we computed lands
nothing on the wrong row) and one spreadsheets:batchUpdate carrying every change. The API
applies a batchUpdate all or nothing; it is split only past 2 MB as sent (a large first sync),
then paced under Google's 60 writes a minute, each batchUpdate stamped with the write's
progress in the spreadsheet, so that the next run finishes a write stopped part way
(gsheets_progress). Every request has connect and read timeouts and is safe to send twice.
Text is sent as stringValue, so it never becomes a formula; dates as numbers with a date
format, so they sort and filter as dates.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from google.auth import crypt
from google.auth.exceptions import GoogleAuthError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from requests.adapters import HTTPAdapter

from sheetsync.backends import spreadsheet_key
from sheetsync.backends.gsheets_progress import (
    Pace,
    Progress,
    applied,
    read_progress,
    reserve,
    resumed_note,
    stamp_of,
    stamped,
    unmade,
)
from sheetsync.backends.gsheets_requests import (
    Requests,
    _chunks,
    _rematch,
    _renamed,
    _with_renames,
    quote,
)
from sheetsync.backends.gsheets_setup import (
    protection_requests,
    setup_requests,
    whole_tab_protection,
)
from sheetsync.backends.gsheets_verify import PENDING, ROUNDS, Watch, patched, remembered
from sheetsync.errors import BackendError, ConfigError
from sheetsync.workbook.changes import Changeset, LogNote
from sheetsync.workbook.messages import say

GOOGLE_API = "https://sheets.googleapis.com"
# every Google host google-auth and gspread may call; all routed when `endpoint` is not Google
GOOGLE_HOSTS = (
    GOOGLE_API,
    "https://iamcredentials.googleapis.com",
    "https://oauth2.googleapis.com",
)
SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
RETRY_STATUSES = {429, 500, 502, 503, 504}
log = logging.getLogger("sheetsync")
_NO_TIME = 1e-6  # seconds: what is left of the retry budget counts as none below this


def pause_for(seconds: float) -> None:
    """The backoff wait (tests replace it with a fake clock, so a minute of 429s takes no time)."""
    time.sleep(seconds)


def clock() -> float:
    """Now, for pacing writes (tests give the fake clock `pause_for` advances)."""
    return time.monotonic()


WRITES_PER_MINUTE = 55  # Google allows 60 write requests a minute per user: a margin


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
        if tries >= self.attempts or left < _NO_TIME:
            return None
        if retry_after and retry_after.strip().isdigit():
            return float(retry_after) if float(retry_after) <= left else None
        return min(self.delay(tries - 1), left)


def _failure(exc: APIError) -> str:
    """What went wrong, in words: a 429 names the quota Google says was used up."""
    status = exc.response.status_code
    if status != HTTPStatus.TOO_MANY_REQUESTS:
        return f"HTTP {status}"
    limit = re.search(r"limit '([^']+)'", str(exc.error.get("message", "")))
    return f"HTTP 429, over the quota: {limit[1] if limit else 'requests per minute'}"


PROTECTED = "protected cell or object"
CELL_LIMIT = re.compile(r"number of cells in the workbook above the limit of (\d+) cells")
DISABLED = re.compile(r"has not been used in project (\S+) before or it is disabled")


def _refusal(error: Mapping[str, Any]) -> str | tuple[str, str] | None:
    """What a refusal's body says beyond its status: "protected" when a protected range
    refused the write, (project, activation URL) when the Sheets API is off in the service
    account's Cloud project, None otherwise (a 403 is then a spreadsheet not shared)."""
    message = str(error.get("message", ""))
    if PROTECTED in message:
        return "protected"
    for detail in error.get("details", []):
        if detail.get("reason") == "SERVICE_DISABLED":
            meta = detail.get("metadata", {})
            project = str(meta.get("consumer", "")).removeprefix("projects/")
            return project, meta.get("activationUrl", "https://console.cloud.google.com/apis")
    disabled = DISABLED.search(message)
    if disabled:
        url = re.search(r"visiting (\S+)", message)
        return disabled[1], url[1] if url else "https://console.cloud.google.com/apis"
    return None


class RetryingHTTPClient(HTTPClient):
    """Retries 429, 5xx, dropped connections and requests left unanswered past the read
    timeout under `policy`, logging each wait. Retrying a batchUpdate refused with 429 is
    safe: Google rejects the whole request unapplied. One unanswered may have been applied:
    the write's requests are idempotent for that (every cell at a place fixed at write time,
    appended rows included; a tab the retry finds made is taken as made: `_send`)."""

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
            except requests.Timeout:  # sent, unanswered: a batchUpdate may have been applied
                read = self.timeout[1] if isinstance(self.timeout, tuple) else self.timeout
                failure, retry_after = f"no answer within {read:g} s", None
            pause = self.policy.wait(tries, waited, retry_after)
            if pause is None:
                raise BackendError.said(
                    "gsheets_kept_failing", failure=failure, tries=tries, seconds=f"{waited:.0f}"
                )
            _log_wait(failure, tries, pause, waited)
            pause_for(pause)
            waited += pause


def _log_wait(failure: str, tries: int, pause: float, waited: float) -> None:
    log.warning(
        "Google Sheets try %d failed (%s); waiting %.1f s (%.1f s waited so far)",
        tries,
        failure,
        pause,
        waited,
        extra={
            "failure": failure,
            "try": tries,
            "wait_s": round(pause, 1),
            "waited_s": round(waited, 1),
        },
    )


class _Redirect(HTTPAdapter):
    """Sends requests meant for one of Google's hosts to another endpoint (a local server)."""

    def __init__(self, endpoint: str, host: str) -> None:
        super().__init__()
        self.endpoint, self.host = endpoint.rstrip("/"), host

    def send(self, request, **kwargs):  # type: ignore[override]  # requests' keywords, as they come
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
        return _credentials(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the service-account key file {path}: {exc.strerror}"
        ) from None
    except (ValueError, KeyError, GoogleAuthError):
        raise ConfigError(
            f'{path} is not a service-account key file (JSON with type "service_account", '
            "from Google Cloud console > IAM > Service accounts > Keys)"
        ) from None


def _credentials(key_file_text: str) -> service_account.Credentials:
    """Fresh credentials (tokens are never shared between runs) over a cached signer."""
    info = json.loads(key_file_text)
    return service_account.Credentials(
        _signer(info["private_key"], info.get("private_key_id")),
        service_account_email=info["client_email"],
        token_uri=info["token_uri"],
        project_id=info.get("project_id"),
        scopes=SCOPES,
    )


@lru_cache(maxsize=8)
def _signer(private_key: str, key_id: str | None) -> crypt.RSASigner:
    """Parsing the private key costs ~50 ms: once per key per process (`serve` runs daily)."""
    return crypt.RSASigner.from_string(private_key, key_id)


def _partly(exc: BackendError, done: int, total: int) -> BackendError:
    """A write that failed after `done` of its `total` batchUpdates were applied, saying so
    (a large first sync is many; the next run computes again and writes what differs)."""
    cause = exc
    if exc.key == "gsheets_kept_failing":  # its "nothing was written" is not so here
        cause = BackendError.said("gsheets_failing", "en", **exc.fields)
    elif not exc.key:
        cause = BackendError.said("gsheets_error", message=str(exc))
    return BackendError.said("gsheets_partly_written", done=done, total=total, cause=cause)


class _Guard:
    """Between the batches of a long write: once a watched tab changed (rows sorted,
    inserted or deleted, a sync cell typed in), the cells still to send to it are left to the
    check after the write, which places them by customer as the tab is then."""

    def __init__(self, backend, watches: list[Watch], requests_: Requests) -> None:
        self.backend, self.watches = backend, [w for w in watches if w.sent]
        self.ids = {requests_.sheets[w.title]["sheetId"]: w for w in self.watches}
        self.stale = False

    def __call__(self, done: int, chunk: list[dict]) -> list[dict]:
        if not done or not any(self._places(r) for r in chunk):
            return chunk
        if not self.stale:
            now = self.backend._values([w.title for w in self.watches])
            self.stale = not all(w.undisturbed(now[w.title]) for w in self.watches)
        if not self.stale:
            return chunk
        for request in chunk:  # never sent: a value there now is not ours
            if self._places(request):
                self._unsent(request["updateCells"])
        return [r for r in chunk if not self._places(r)]

    def _unsent(self, args: dict) -> None:
        start = args["start"]
        watch = self.ids[start["sheetId"]]
        row0, column0 = start.get("rowIndex", 0) + 1, start.get("columnIndex", 0) + 1
        for i, row in enumerate(args.get("rows", [])):
            for j in range(len(row.get("values", []))):
                watch.sent.pop((row0 + i, column0 + j), None)

    def _places(self, request: dict) -> bool:
        """Does `request` write cells under a watched tab's header (placed by customer)?"""
        start = request.get("updateCells", {}).get("start", {})
        watch = self.ids.get(start.get("sheetId"))
        return watch is not None and start.get("rowIndex", 0) >= watch.header_row


def _rename(
    requests_: Requests, changes: Changeset, renamed: list[str], now: dict[str, list[list]]
) -> None:
    """The headers renamed in tabs `renamed` (requests_), and `now` as it reads after them, so
    that the cells written next go under the headers as renamed."""
    for title in renamed:
        renames = [r for r in changes.renames if r.tab == title]
        placed = list(_renamed(title, now[title], renames))
        requests_.cells(title, placed)
        now[title] = _with_renames(now[title], placed)


class GSheetsBackend:
    def __init__(
        self,
        workbook: str,
        credentials: str,
        endpoint: str = GOOGLE_API,
        policy: RetryPolicy | None = None,
        timeouts: tuple[float, float] = (10.0, 120.0),
    ) -> None:
        self.key = spreadsheet_key(workbook)
        self.location = f"Google Sheets {self.key}"
        self.credentials = load_credentials(credentials)
        session: requests.Session
        if endpoint.rstrip("/") == GOOGLE_API:
            session = AuthorizedSession(self.credentials)
        else:  # another endpoint: nothing may reach Google, token and IAM lookups included
            auth_request = GoogleRequest(_routed(requests.Session(), endpoint))
            session = _routed(
                AuthorizedSession(self.credentials, auth_request=auth_request), endpoint
            )
        self.http = RetryingHTTPClient(self.credentials, session)
        self.http.policy = policy or RetryPolicy()
        self.http.set_timeout(timeouts)  # (connect, read): no request waits for ever
        self.timezone: str | None = None
        self._sheets: dict[str, dict] = {}
        self._charts: dict[str, list[dict]] = {}
        self._protected: dict[str, dict] = {}  # each tab's metadata, for its protections
        self._grids: dict[str, list[list]] = {}
        self.progress: Progress | None = None  # a stopped write's record, read with the metadata
        self.finished: Progress | None = None  # that record, once this run's write finished it
        self.pace = Pace(WRITES_PER_MINUTE, lambda: clock(), lambda s: pause_for(s))
        self._found: list[tuple[str, dict]] = []  # what the last read or write found
        # a stopped write's record (its lines, its tab's sheetId, 同步快照 by tab), repaired by the next
        self._pending: tuple[list[str], int, dict[str, Any]] | None = None

    def __enter__(self) -> GSheetsBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def tab_url(self, title: str) -> str:
        """After `read()`: the tab's address; a mail adds `&range=A12` to open a row."""
        gid = self._sheets.get(title, {}).get("sheetId", 0)
        return f"https://docs.google.com/spreadsheets/d/{self.key}/edit#gid={gid}"

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
        refusal = _refusal(exc.error)
        account = self.credentials.service_account_email
        if refusal == "protected":  # 400 as recorded; a 403 would say the same
            return BackendError.said("gsheets_protected", sheet=self.key, account=account)
        if isinstance(refusal, tuple):  # the Sheets API is off in the account's project
            project, url = refusal
            return BackendError.said("gsheets_api_disabled", project=project, url=url)
        if status == HTTPStatus.FORBIDDEN:
            return BackendError.said("gsheets_not_shared", sheet=self.key, account=account)
        cells = CELL_LIMIT.search(str(exc.error.get("message", "")))
        if cells:  # the grids would pass what one spreadsheet holds: nothing of it applied
            return BackendError.said(
                "gsheets_cell_limit", sheet=self.key, cells=f"{int(cells[1]):,}"
            )
        if status == HTTPStatus.NOT_FOUND:
            return BackendError(
                f"no spreadsheet with key {self.key}: check `workbook` (the key or the sheet's URL)"
            )
        if status == HTTPStatus.UNAUTHORIZED:
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
        self._protected = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
        self.progress = read_progress(meta)
        # the tabs a stopped write was adding read as not there yet: planned and written whole
        # (its record of where values went, 同步待核对, is read all the same: checked first)
        making = unmade(self.progress, self._sheets) - {PENDING}
        self._grids = self._values([t for t in self._sheets if t not in making])
        self._found, self._pending = [], None
        if PENDING in self._sheets:  # the last write stopped before it was checked
            self._finish_pending()
        return self._grids

    def resumed(self, locale: str) -> str | None:
        """After a write: what a stopped write had made, which this run finished (None: there
        was none)."""
        return resumed_note(self.finished, locale) if self.finished else None

    def found(self) -> list[tuple[str, dict]]:
        """What the last read or write found and did about it, as catalogue keys and their
        fields: people's edits made while the sync wrote, values put back on their rows."""
        return list(self._found)

    def _finish_pending(self) -> None:
        """What a stopped write left (gsheets_verify), checked before anything is computed
        from it: the grids read as repaired, so a value of it on another customer's row is
        never taken for an edit. Written by the next write (`_repair_pending`), first: a read
        writes nothing (a dry run, `validate`)."""
        lines = [r[0] for r in self._grids.pop(PENDING) if r and isinstance(r[0], str)]
        try:
            titles = {w.title for w in Watch.from_record(lines)} & set(self._grids)
        except (ValueError, KeyError, TypeError):  # not ours to read: let go
            lines, titles = [], set()
        memory = {t: remembered(self._grids, self._grids[t], lines, t) for t in titles}
        self._pending = (lines, self._sheets.pop(PENDING)["sheetId"], memory)
        repaired = 0
        for watch in self._watches_pending():
            placed = watch.repairs(self._grids[watch.title])
            self._grids[watch.title] = patched(self._grids[watch.title], placed)
            repaired += len(placed)
        if repaired:
            self._found.append(("gsheets_pending_repaired", {"count": repaired}))

    def _watches_pending(self) -> list[Watch]:
        """The stopped write's watches, each resting on 同步快照 as the first read had it."""
        assert self._pending is not None  # found by the read (_finish_pending)
        lines, _, memory = self._pending
        watches = [w for w in Watch.from_record(lines) if w.title in memory]
        for watch in watches:
            watch.rest_on(memory[watch.title])
        return watches

    def _repair_pending(self) -> None:
        """The repairs `_finish_pending` found, placed as the rows are now, and the stopped
        write's record deleted: before this write reads anything."""
        watches = self._watches_pending()
        assert self._pending is not None  # as _watches_pending says
        now = self._values([w.title for w in watches]) if watches else {}
        requests_ = Requests(self._sheets)
        for watch in watches:
            requests_.cells(watch.title, watch.repairs(now[watch.title]))
        for chunk in [*requests_.chunks(), [{"deleteSheet": {"sheetId": self._pending[1]}}]]:
            self._send(chunk)
        self._pending = None

    def keep_rows(self, titles: set[str]) -> None:
        """Only the tabs `titles` may be replaced whole: the others' rows are let go."""
        self._grids = {t: g for t, g in self._grids.items() if t in titles}

    def _values(self, titles: list[str]) -> dict[str, list[list]]:
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
        }
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

    def editors(self, title: str) -> list[str] | None:
        """After `read()`: who may edit tab `title` when a protection stops everyone else
        (its editors; the sheet's owner always may), None when anyone with edit rights may."""
        protected = whole_tab_protection(self._protected.get(title, {}))
        return None if protected is None else protected.get("editors", {}).get("users", [])

    def protect(self, titles: list[str], editors: list[str]) -> None:
        """Tabs `titles` editable by `editors` and this service account only (the sync
        writes them)."""
        meta = self._call("fetch_sheet_metadata")
        everyone = [*editors, self.credentials.service_account_email]
        self._call("batch_update", {"requests": protection_requests(meta, titles, everyone)})

    # --- writing -------------------------------------------------------------------------
    def write(self, changes: Changeset) -> None:
        if self._pending:  # a stopped write's: repaired first
            self._repair_pending()
        requests_ = Requests(self._sheets)
        requests_.hidden = changes.hidden | {PENDING}
        tabs = sorted({c.tab for c in [*changes.new_headers, *changes.cells]})
        renamed = sorted({r.tab for r in changes.renames})
        appended = sorted(t for t in changes.append if t in self._sheets)
        read = sorted({*tabs, *renamed, *appended})
        now = self._values(read) if read else {}
        _rename(requests_, changes, renamed, now)  # first: the cells below go under them
        placed, watches = {}, []
        for title in tabs:
            headers = [c for c in changes.new_headers if c.tab == title]
            cells = [c for c in changes.cells if c.tab == title]
            watches.append(Watch(title))
            placed[title] = list(_rematch(title, now[title], headers, cells, watches[-1]))
        watches = [w for w in watches if w.sent or w.kept]
        if any(w.sent for w in watches):  # recorded first, then 同步快照, then the cells
            record = [[line] for w in watches if w.sent for line in w.record()]
            requests_.replace(PENDING, record, None)
        for title, rows in changes.replace.items():
            requests_.replace(title, rows, self._grids.get(title))
        making = unmade(self.progress, self._sheets)
        for title in tabs:
            requests_.cells(title, placed[title])
        for title, rows in changes.append.items():  # under the last row there now
            if title in making:  # a tab a stopped write was adding: made whole now
                requests_.replace(title, rows, None)
            else:
                requests_.append(title, rows, len(now.get(title, [])))
        for title, charts in changes.charts.items():
            requests_.charts(title, charts, self._charts.get(title, []))
        for title, layout in changes.layout.items():
            requests_.layout(title, layout)
        self._send_all(requests_, making, watches)
        closing = self._check(watches, requests_)
        if self._found and changes.log_note:  # the sync-log row says what was found
            closing += self._noted(changes.log_note, now, requests_)
        if closing:
            self._send(closing)

    def _send_all(self, requests_: Requests, making: set[str], watches: list[Watch]) -> None:
        """The batchUpdates in turn, each stamped with the write's progress (a record in
        the spreadsheet: gsheets_progress), so that a run stopped part way is finished by
        the next one; a failure says how many were applied."""
        added = [r["addSheet"]["properties"] for r in requests_.structure if "addSheet" in r]
        tabs = {t: self._sheets[t]["sheetId"] for t in sorted(making)}
        tabs.update({p["title"]: p["sheetId"] for p in added})
        record = Progress(0, 0, tabs, self._now())
        chunks = list(stamped(requests_.chunks(reserve(record)), record, self.progress))
        self._found = []
        guard = _Guard(self, watches, requests_)
        for done, chunk in enumerate(chunks):
            waited = self.pace.wait()
            if waited:
                log.info("Google Sheets write %d of %d waits %.0f s (60 writes a minute)",
                         done + 1, len(chunks), waited)  # fmt: skip
            try:  # the guard reads: its failure too is said with how far the write got
                chunk = guard(done, chunk)  # stale positions left to the check after the write
                if chunk:
                    self._send(chunk)
            except BackendError as exc:
                if self._applied_after_all(chunk, exc):  # tries unanswered, one applied
                    continue
                if not done:  # nothing was written: said so, as it is
                    raise
                raise _partly(exc, done, len(chunks)) from None
        self.finished, self.progress = self.progress, None

    def _applied_after_all(self, chunk: list[dict], exc: BackendError) -> bool:
        """Was `chunk` applied though its tries went unanswered (its record says so)? Then
        the write goes on, and a failure later counts it. Asked only when the last try was
        unanswered (a refusal applies nothing); False when Google cannot say."""
        if "no answer" not in str(getattr(exc, "fields", {}).get("failure", "")):
            return False
        try:
            found = self._stamped(chunk)
        except BackendError:
            return False
        if found:
            log.warning("Google Sheets had applied a write it did not answer; going on")
        return found

    def _now(self) -> str:
        """When this write began, in the sheet's time zone (what its record says)."""
        try:
            zone = ZoneInfo(self.timezone) if self.timezone else None
        except (ValueError, ZoneInfoNotFoundError):
            zone = None
        return dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M")

    def _noted(self, note: LogNote, now: dict, requests_: Requests) -> list[dict]:
        """The sync-log row's notes cell with what the write found added."""
        said = [say(k, note.locale, **f) for k, f in self._found]
        text = "; ".join([note.text, *said] if note.text else said)
        row = len(now.get(note.tab, [])) + note.index  # 0-based: appended under those rows
        start = {"sheetId": requests_.sheets[note.tab]["sheetId"], "rowIndex": row}
        cells = {"values": [{"userEnteredValue": {"stringValue": text}}]}
        start["columnIndex"] = note.column - 1
        return [{"updateCells": {"start": start, "rows": [cells], "fields": "userEnteredValue"}}]

    def _check(self, watches: list[Watch], requests_: Requests) -> list[dict]:
        """Read back what was written and put every value on its customer's row (a few rounds
        at most: people may go on sorting). Said in `found`; returns the request that deletes
        the pending record, for the write's last batchUpdate."""
        kept = [k for w in watches for k in w.kept]
        if kept:
            shown = " (" + ", ".join(f"{where} {header}" for where, header, _ in kept[:3]) + ")"
            self._found.append(("gsheets_kept_meanwhile", {"count": len(kept), "cells": shown}))
        watches = [w for w in watches if w.sent or w.planned]  # all left to here, maybe
        if not watches:
            return []
        closing = []
        for round_ in range(ROUNDS + 1):
            now = self._values([w.title for w in watches])
            placed = {w.title: w.repairs(now[w.title]) for w in watches}
            if not any(placed.values()):
                closing = [{"deleteSheet": {"sheetId": requests_.sheets[PENDING]["sheetId"]}}]
                break
            if round_ == ROUNDS:  # still moving: the next run checks first, all we sent
                left = sum(len(c) for c in placed.values())
                self._found.append(("gsheets_unchecked", {"count": left}))
                record = Requests(requests_.sheets)
                record.replace(PENDING, [[x] for w in watches for x in w.record()], None)
                for chunk in record.chunks():
                    self._send(chunk)
                break
            repairs = Requests(requests_.sheets)  # the grids as the write grew them
            for title, cells in placed.items():
                repairs.cells(title, cells)
            for chunk in repairs.chunks():
                self._send(chunk)
        late = sum(len(w.late) for w in watches)
        if late:
            self._found.append(("gsheets_kept_meanwhile", {"count": late, "cells": ""}))
        repaired = sum(w.repaired for w in watches)
        if repaired:
            self._found.append(("gsheets_repaired", {"count": repaired}))
        return closing

    def _send(self, chunk: list[dict]) -> None:
        """One batchUpdate. A retry of one Google had applied but not answered finds the
        tabs it adds already there: all of it was applied (a batchUpdate is all or nothing),
        so it is taken as made, not failed as "already exists"."""
        try:
            self.http.batch_update(self.key, {"requests": chunk})
        except APIError as exc:
            made = re.search(
                r'A sheet with the name "(.+)" already exists', exc.error.get("message", "")
            )
            gone = re.search(r"No grid with id: (\d+)", exc.error.get("message", ""))
            deleted = {r["deleteSheet"]["sheetId"] for r in chunk if "deleteSheet" in r}
            if gone and int(gone[1]) in deleted:  # the record's deletion, applied unanswered
                log.warning(
                    "Google Sheets had applied a write it did not answer; not applied again"
                )
                return
            if not (made and self._made_by(chunk, made[1])) and not self._stamped(chunk):
                raise self._explain(exc) from None
            log.warning("Google Sheets had applied a write it did not answer; not applied again")
        except (TransportError, GoogleAuthError) as exc:
            raise BackendError(f"could not get a Google access token: {exc}") from None

    def _stamped(self, chunk: list[dict]) -> bool:
        """Does the spreadsheet's progress record say `chunk` was applied (a retry refused
        because its first try, unanswered, had been: its record made, its tab added)?"""
        if not stamp_of(chunk):
            return False
        return applied(chunk, self._call("fetch_sheet_metadata"))

    def _made_by(self, chunk: list[dict], title: str) -> bool:
        """Is the tab `title` there the one `chunk` adds (same sheetId), not a person's?"""
        ours = [r["addSheet"]["properties"] for r in chunk if "addSheet" in r]
        wanted = {p["title"]: p.get("sheetId") for p in ours}
        if title not in wanted:
            return False
        meta = self._call("fetch_sheet_metadata")
        there = {s["properties"]["title"]: s["properties"]["sheetId"] for s in meta["sheets"]}
        return there.get(title) == wanted[title]

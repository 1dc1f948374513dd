"""A Google write of several batchUpdates records its progress in the spreadsheet, so that
a run stopped part way (a failure, a killed process, a machine that went down) is finished by
the next one.

Google applies each batchUpdate whole or not at all, but a first sync of 10,000 customers is
~26 of them. The record is one spreadsheet-level developer metadata (invisible to people,
kept with the spreadsheet, never in a tab): made by the write's first batchUpdate, its count
raised by each next one *inside* that batchUpdate (so it says exactly what was applied, even
when the process is killed), deleted by the last one. A spreadsheet without the record has
no write part-made.

The next run reads it with the metadata it reads anyway and:
- takes the tabs that write was adding as not made yet (`unmade`): it plans them as a new
  tab is planned (whole content, header, layout), and the write rewrites them whole, so a
  half-written 跟进历史 is neither appended to twice nor left without its frozen header;
- says in its report what the stopped write had made (`resumed_note`).
What the rest needs is elsewhere: rows of a rewritten tab go one request each (a 同步快照 row
is there whole or not at all, so the sync never compares a person's cell with half a row
and takes its own value for a hand edit), and appended rows (the sync log's row) go last,
so a stopped write leaves no "同步完成" row behind.

    >>> record = Progress(batches=4, written=1, tabs={"跟进历史": 7}, started="2026-11-18 09:00")
    >>> read_progress({"developerMetadata": [creation(record)["createDeveloperMetadata"]
    ...                                       ["developerMetadata"]]}) == record
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from sheetsync.workbook.messages import say

MINUTE = 60.0  # seconds: Google's write quota is counted per minute

KEY = "sheetsync.write"  # the developer metadata's key
RECORD_ID = 26_030_001  # its id, fixed: there is at most one, and it is found without a search


@dataclass(frozen=True)
class Progress:
    """A write under way: `written` of its `batches` batchUpdates applied; `tabs` the tabs it
    adds (title -> sheetId), not finished until it is; `started` when its run began."""

    batches: int
    written: int
    tabs: dict[str, int] = field(default_factory=dict)
    started: str = ""

    def value(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def read_progress(meta: dict) -> Progress | None:
    """The record a stopped write left in the spreadsheet's metadata, if any (one that does
    not parse is no record: it is replaced by the next write's)."""
    for found in meta.get("developerMetadata", []):
        if found.get("metadataKey") != KEY:
            continue
        try:
            data = json.loads(found.get("metadataValue", ""))
            return Progress(
                int(data["batches"]),
                int(data["written"]),
                {str(t): int(i) for t, i in data.get("tabs", {}).items()},
                str(data.get("started", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    return None


def unmade(record: Progress | None, sheets: dict[str, dict]) -> set[str]:
    """The tabs a stopped write was adding that are still the ones it added (same sheetId:
    a tab people made since under the same title is theirs)."""
    if record is None:
        return set()
    return {t for t, i in record.tabs.items() if sheets.get(t, {}).get("sheetId") == i}


def creation(record: Progress) -> dict:
    location = {"spreadsheet": True}
    meta = {"metadataId": RECORD_ID, "metadataKey": KEY, "metadataValue": record.value()}
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {**meta, "location": location, "visibility": "DOCUMENT"}
        }
    }


def update(record: Progress) -> dict:
    return {
        "updateDeveloperMetadata": {
            "dataFilters": [{"developerMetadataLookup": {"metadataId": RECORD_ID}}],
            "developerMetadata": {"metadataValue": record.value()},
            "fields": "metadataValue",
        }
    }


def deletion() -> dict:
    lookup = {"developerMetadataLookup": {"metadataId": RECORD_ID}}
    return {"deleteDeveloperMetadata": {"dataFilter": lookup}}


def reserve(record: Progress) -> int:
    """Bytes a batch must leave for its stamp (the largest: the creation, its count padded)."""
    padded = replace(record, batches=10**6, written=10**6)
    return len(json.dumps(creation(padded))) + 2


def stamped(chunks: list[list[dict]], record: Progress, before: Progress | None):
    """`chunks` with the record's requests: the first makes it (or takes over the one a
    stopped write left), each next one counts itself, the last deletes it. One batch needs
    none, unless a stopped write's record is to be deleted."""
    total = len(chunks)
    if not chunks and before:  # nothing left to write: only the stopped write's record
        yield [deletion()]
    for i, chunk in enumerate(chunks):
        if i == total - 1:
            yield [*chunk, deletion()] if total > 1 or before else chunk
            continue
        now = replace(record, batches=total, written=i + 1)
        first = i == 0 and before is None
        yield [creation(now) if first else update(now), *chunk]


STAMPS = ("createDeveloperMetadata", "updateDeveloperMetadata", "deleteDeveloperMetadata")


def stamp_of(chunk: list[dict]) -> dict | None:
    """The record's request in `chunk` (None: it carries none)."""
    return next((r for r in chunk if next(iter(r)) in STAMPS), None)


def applied(chunk: list[dict], meta: dict) -> bool:
    """Does the record in `meta` (the spreadsheet's metadata, read after a refused retry) show
    that `chunk` was applied: the value it stamps there, or, for the last, no record left?"""
    stamp = stamp_of(chunk)
    now = next(
        (
            m.get("metadataValue")
            for m in meta.get("developerMetadata", [])
            if m.get("metadataKey") == KEY
        ),
        None,
    )
    if stamp is None:
        return False
    ((kind, args),) = stamp.items()
    if kind == "deleteDeveloperMetadata":
        return now is None
    return now == args["developerMetadata"]["metadataValue"]


def resumed_note(record: Progress, locale: str) -> str:
    """What the next run says: the stopped write, and that this run finished it."""
    return say(
        "gsheets_resumed",
        locale,
        done=record.written,
        total=record.batches,
        started=record.started or "?",
    )


class Pace:
    """At most `per_minute` writes in any 60 seconds: Google allows 60 write requests a
    minute per user and answers the next with 429 (a 50,000-customer first sync is ~110
    batchUpdates). Waiting before a write costs what a refusal would, without the refusals
    and the retry budget they use up. `clock` and `pause` are the backend's (tests give a
    fake clock, so a minute passes at once)."""

    def __init__(self, per_minute: int, clock: Callable[[], float], pause) -> None:
        self.per_minute, self.clock, self.pause = per_minute, clock, pause
        self.sent: list[float] = []

    def wait(self) -> float:
        """Before a write: the seconds waited for the oldest of the last minute's to age."""
        now = self.clock()
        self.sent = [t for t in self.sent if now - t < MINUTE]
        waited = 0.0
        if len(self.sent) >= self.per_minute:
            waited = MINUTE - (now - self.sent[-self.per_minute])
            self.pause(waited)
        self.sent.append(self.clock())
        return waited

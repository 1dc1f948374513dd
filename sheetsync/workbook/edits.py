"""Hand edits of sync-owned cells: noticed, honoured, never silently reverted.

People type into the sync's columns: a date into 下次跟进日期 after a call, an A into
客户等级 because they know better, "已完成" into 状态. The sync remembers what it last wrote
(a hidden 同步快照 tab, on every backend) and compares: a cell that differs was edited.
- A date typed into 下次跟进日期 is the agreed date (kept while it is after 上次跟进日期).
- A grade typed into 客户等级 is a grade override (kept until the cell is cleared).
- Any other edit is kept for this run, and 校验提示 says where to type instead; the next run
  writes the sync's value again.
Pure: the follow-up tab, the memory and the grade names in; decisions out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sheetsync.workbook.changes import DATE_KEYS, comparable
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import date_or_none, is_blank, is_missing, map_unique
from sheetsync.workbook.schema import (
    MEMORY,
    RECIPIENT_MEMORY_KEYS,
    SYNC_COLUMNS,
    normalise_header,
)
from sheetsync.workbook.tables import Sheet

SYNC_KEYS = tuple(t.key for t in SYNC_COLUMNS)
# Where a person should type instead of a sync-owned column.
INSTEAD = {
    "classification": ("annual_amount", "potential"),
    "health": ("churned",),
    "task": ("agreed_date", "method"),
    "status": ("last_contact", "paused_until"),
    "next_date": ("agreed_date",),
    "grade": ("grade_override",),
    "stage_since": ("stage",),
    "check": (),
}


@dataclass
class Edits:
    """What people changed since the last run, and what the sync will do about it."""

    edited: pd.DataFrame  # bool, one column per sync key, the follow-up rows' index
    pinned_next: pd.Series  # date typed into 下次跟进日期 (NaT: none), in force this run
    pinned_grade: pd.Series  # grade typed into 客户等级 (None: none)
    kept: pd.DataFrame  # bool: cells kept as people typed them this run


def read_memory(sheet: Sheet | None) -> pd.DataFrame:
    """Last written values by customer id (the first row of an id wins). The team members'
    rows (rules/recipients.py) have no customer id and are not read here."""
    keys = [c.key for c in MEMORY.columns if c.key not in RECIPIENT_MEMORY_KEYS]
    if sheet is None or not sheet.header_row:
        return pd.DataFrame(columns=keys).set_index("customer_id")
    # Only the columns the tab has: a memory from an older version lacks a newer column, and
    # its cells cannot be compared with anything.
    frame = sheet.frame[[k for k in keys if k in sheet.columns]].copy()
    frame["customer_id"] = map_unique(
        frame["customer_id"], lambda v: "" if is_blank(v) else str(v).strip()
    )
    frame = frame[frame["customer_id"] != ""]
    return frame.drop_duplicates("customer_id").set_index("customer_id")


def find_edits(
    current: pd.DataFrame,
    ids: pd.Series,
    memory: pd.DataFrame,
    grades: list[str],
    last_contact: pd.Series,
    fresh: tuple[str, ...] = (),
) -> Edits:
    """Compare each sync-owned cell with what the sync last wrote there. `fresh`: columns
    whose cells hold an older version's values (a retired header), so no edit is seen."""
    known = ids.isin(memory.index) & ids.ne("") & ~ids.duplicated(keep=False)
    remembered = memory.reindex(ids.where(known))
    remembered.index = ids.index
    edited = pd.DataFrame(False, index=ids.index, columns=list(SYNC_KEYS))
    for key in SYNC_KEYS:
        if key in fresh or key not in memory.columns:  # not remembered: nothing to compare
            continue

        def compared(value: object, as_date: bool = key in DATE_KEYS) -> object:
            return comparable(value, as_date)

        now = map_unique(current[key], compared)
        then = map_unique(remembered[key], compared)
        edited[key] = known & (now != then) & ~(now.isna() & then.isna())
    typed_date = map_unique(current["next_date"], date_or_none)
    lookup = {normalise_header(g): g for g in grades}
    typed_grade = map_unique(current["grade"], lambda v: lookup.get(normalise_header(v)))
    pinned_next = _pins(
        edited["next_date"],
        typed_date,
        current["next_date"],
        remembered.get("pinned_next", pd.Series(None, index=ids.index)).map(date_or_none),
    )
    pinned_next = pd.to_datetime(pinned_next)
    pinned_next = pinned_next.where(last_contact.isna() | (pinned_next > last_contact))
    pinned_grade = _pins(
        edited["grade"],
        typed_grade,
        current["grade"],
        remembered.get("pinned_grade", pd.Series(None, index=ids.index)).map(
            lambda v: lookup.get(normalise_header(v))
        ),
    )
    kept = edited.copy()
    kept["next_date"] &= typed_date.isna() & ~map_unique(current["next_date"], is_blank).astype(
        bool
    )
    kept["grade"] &= typed_grade.isna() & ~map_unique(current["grade"], is_blank).astype(bool)
    kept["check"] = False  # the sync's own message column: the typed text is quoted instead
    return Edits(edited, pinned_next, pinned_grade.astype(object), kept)


def _pins(edited: pd.Series, typed: pd.Series, raw: pd.Series, before: pd.Series) -> pd.Series:
    """A fresh edit sets (a readable value) or clears (a blank cell) the pin; else it stays."""
    cleared = edited & map_unique(raw, is_blank).astype(bool)
    pins = before.where(~cleared, None)
    return pins.where(~(edited & typed.notna()), typed).astype(object)


def keep_edits(
    computed: pd.DataFrame, current: pd.DataFrame, edits: Edits, labels: dict[str, str], locale: str
) -> pd.DataFrame:
    """The sync's values, except the cells people edited that are kept this run; 校验提示
    says so and where to type instead."""
    out = computed.copy()
    notes = pd.Series("", index=computed.index, dtype=object)
    for key in SYNC_KEYS:
        kept, quoted = edits.kept[key], edits.edited[key] & (key == "check")
        if kept.any():
            out[key] = out[key].astype(object)  # people's cells as typed, whatever the type
            out.loc[kept, key] = current.loc[kept, key]
        where = (
            "、".join(labels[k] for k in INSTEAD[key])
            if locale != "en"
            else " / ".join(labels[k] for k in INSTEAD[key])
        )
        for index in kept[kept | quoted].index:
            message = "hand_edit_check" if key == "check" else "hand_edit_kept"
            note = say(
                message,
                locale,
                header=labels[key],
                value=str(current.at[index, key]).strip()[:60],
                where=where,
            )
            notes[index] = f"{notes[index]}; {note}" if notes[index] else note
    has_note = notes != ""
    out.loc[has_note, "check"] = [
        f"{c}; {n}" if c else n
        for c, n in zip(out.loc[has_note, "check"], notes[has_note], strict=True)
    ]
    return out


def memory_rows(
    ids: pd.Series,
    written: pd.DataFrame,
    edits: Edits,
    locale: str,
    note_read: pd.Series | None = None,
    history_kept: pd.DataFrame | None = None,
) -> list[list[object]]:
    """The hidden tab's new content: what this run leaves in each cell, the pins, what
    was read of each note (`note_read`, rules/attention.py's memo) and the last contact and
    owner the history recorded (`history_kept`, rules/history.py's keys).

    Built a column at a time (blanks found by one `isna` a column, not one call a cell): a
    row at a time took ~0.7 s for 100 k customers."""
    frame = written.reindex(columns=list(SYNC_KEYS))
    columns = [
        _cells(ids),
        *(_cells(frame[k]) for k in SYNC_KEYS),
        _cells(edits.pinned_next),
        _cells(edits.pinned_grade),
        _cells(note_read if note_read is not None else pd.Series(None, index=ids.index)),
        *(
            _cells(
                history_kept[k] if history_kept is not None else pd.Series(None, index=ids.index)
            )
            for k in ("history_contact", "history_owner")
        ),
    ]
    keep = [bool(cid) for cid in ids.tolist()]
    rows = [list(row) for row, kept in zip(zip(*columns, strict=True), keep, strict=True) if kept]
    return [MEMORY.headers(locale), *rows]


def _cells(column: pd.Series) -> list[object]:
    """One column as the memory tab holds it: timestamps as dates, blanks (None, NaN, NaT,
    "") as None."""
    if pd.api.types.is_datetime64_dtype(column):  # dates made in one pass, not a Timestamp each
        dates: list[object] = column.dt.date.astype(object).where(column.notna(), None).tolist()
        return dates
    values = column.tolist()
    blank = column.isna().to_numpy() | (column.to_numpy(dtype=object) == "")
    return [
        None if b else v.date() if isinstance(v, pd.Timestamp) else v
        for v, b in zip(values, blank.tolist(), strict=True)
    ]


def _blank(value: object) -> bool:
    return is_missing(value) or value == ""

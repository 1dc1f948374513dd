"""跟进历史: the team's memory of every contact, which a sheet row overwrites.

A follow-up row holds only the latest contact. A contact is keyed by the customer, its
上次跟进日期 and what was recorded (跟进内容摘要 and 客户反馈): `contact_keys`. Each run the
sync appends a row for a contact whose key is new: not the key it last appended for that
customer (kept in its own 同步快照, `history_contact`) and not a contact row already in the
tab. People annotate, sort, delete and type rows into the tab; keyed this way, none of that
makes a contact new again. A re-run with nothing new adds nothing. A customer with no contact
row yet gets 首次记录 (on the first sync of a sheet that already has contacts this is the
seed: one row per customer, the latest contact only, since nothing older is known).

A 负责人 that differs from the one the sync last recorded (同步快照's `history_owner`, for
every customer, contacted or not) gets a 交接 row ("交接:张伟→李娜"). Only a customer the
snapshot does not know yet (a workbook from an older version) is compared with the tab's
last row naming an owner.

A tab whose key columns are gone (renamed or deleted) is not read with confidence: the run
leaves it alone, says so, and goes on (`missing_keys`).

Append-only, like 阶段记录: people may read, filter and annotate it; the sync never rewrites
a row it wrote.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pandas as pd

from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import cell_text, date_or_none, map_unique
from sheetsync.workbook.schema import HISTORY, HISTORY_KINDS, normalise_header, term_lookup
from sheetsync.workbook.tables import Sheet
from sheetsync.workbook.validate import normalise_id

COLUMNS = [c.key for c in HISTORY.columns]
TEXT = ("customer", "owner", "method", "summary", "feedback", "stage", "grade", "manager")
CONTACTS = ("contact", "first")  # kinds that are a contact (a handover is not)
# The columns without which the tab cannot be read with confidence: the contact's key
# (customer, date, what was recorded), who held it, and which rows are handovers and when.
KEY_COLUMNS = ("customer_id", "date", "summary", "feedback", "owner", "kind", "recorded")
REMEMBERED = ("history_contact", "history_owner")  # the 同步快照 columns this step keeps


def missing_keys(sheet: Sheet | None) -> list[str]:
    """The key columns an existing tab lacks (its header renamed or deleted): reading it
    anyway would take annotated or handover rows for contacts and append them again."""
    if sheet is None or not sheet.header_row:
        return []
    return [k for k in KEY_COLUMNS if k not in sheet.columns]


def contact_keys(date: pd.Series, summary: pd.Series, feedback: pd.Series) -> pd.Series:
    """Each contact's key: its date ("-" if none) and a short digest of 摘要 and 反馈
    ("2026-11-10 3f9a0c2e71d4"); "" where there is no contact. Short, so the snapshot stays small whatever
    people wrote; the same text always gives the same key."""
    days = pd.to_datetime(date)
    text = map_unique(summary.astype(str) + "\x1f" + feedback.astype(str), _digest)
    day = days.dt.strftime("%Y-%m-%d").fillna("-")  # a cell's text is trimmed: no blank
    blank = days.isna() & (summary == "") & (feedback == "")
    return (day + " " + text).where(~blank, "").astype(object)


def _digest(text: object) -> str:
    return hashlib.blake2b(str(text).encode("utf-8"), digest_size=6).hexdigest()


def empty_history() -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(dtype=object) for k in COLUMNS})
    frame["date"] = pd.to_datetime(frame["date"])
    frame["recorded"] = pd.to_datetime(frame["recorded"])
    return frame


def read_history(sheet: Sheet | None) -> pd.DataFrame:
    """The tab as typed values, in the order recorded; rows without a customer id dropped
    (a note someone typed below the table), an unknown 记录类型 read as a contact."""
    if sheet is None or sheet.frame.empty:
        return empty_history()
    frame = sheet.frame
    kinds = {k: t.key for k, t in term_lookup(HISTORY_KINDS).items()}
    history = pd.DataFrame(
        {
            "date": pd.to_datetime(map_unique(frame["date"], _date)),
            "customer_id": map_unique(frame["customer_id"], normalise_id),
            **{k: map_unique(frame[k], cell_text) for k in TEXT},
            "kind": map_unique(frame["kind"], lambda v: kinds.get(normalise_header(v), "contact")),
            "recorded": pd.to_datetime(map_unique(frame["recorded"], _date)),
        }
    )[COLUMNS]
    history = history[history["customer_id"] != ""]
    # In the order recorded, whatever order people sorted the tab into (rows recorded the
    # same day keep theirs); a row without 记录日期 counts as the oldest.
    history = history.sort_values("recorded", kind="stable", na_position="first")
    return history.reset_index(drop=True)


def _date(value: object) -> dt.date | None:
    found = date_or_none(value)
    return found if isinstance(found, dt.date) else None


def _latest(history: pd.DataFrame, kinds: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Each customer's last row (of `kinds`), by customer id, in the order recorded (not by
    跟进日期: a contact typed with an older date is still the newer record)."""
    rows = history if kinds is None else history[history["kind"].isin(kinds)]
    return rows.drop_duplicates("customer_id", keep="last").set_index("customer_id")


def update_history(
    history: pd.DataFrame,
    customers: pd.DataFrame,
    managers: dict[str, str],
    today: dt.date,
    locale: str,
    remembered: pd.DataFrame | None = None,
    filed: set[tuple[str, str]] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history with this run's rows appended (a 交接 row where the 负责人 differs from
    the one last recorded, then a row for each contact not recorded yet), and what the
    snapshot keeps for next time (`kept`).

    `customers`: one row per follow-up row with customer_id, has_error, last_contact (dates)
    and customer, owner, method, summary, feedback, stage, grade. Rows with errors and ids
    used twice are left out: which row is "the" customer is not known. `managers`: each
    team member's 上级, recorded with the row. `remembered`: 同步快照 by customer id, its
    REMEMBERED columns (None: a new tab, seeded from the sheet whatever was kept).
    `filed`: (customer id, contact key) of contacts moved to the archive (rules/archive.py).
    `kept`: REMEMBERED for each follow-up row: this run's contact key and owner where the
    row was read, else what was kept before."""
    remembered = _remembered(remembered, customers["customer_id"])
    known = customers[~customers["has_error"].astype(bool) & (customers["customer_id"] != "")]
    known = known.drop_duplicates("customer_id", keep=False)
    now = _current(known, managers)
    now["key"] = contact_keys(now["date"], now["summary"], now["feedback"])
    before = remembered.loc[now.index]
    handovers = _handovers(history, now, before["history_owner"], today, locale)
    contacts = _contacts(history, now, before["history_contact"], today, filed)
    kept = remembered.copy()  # rows left out (errors, ids used twice) keep what they had
    for key, value in (("history_contact", now["key"]), ("history_owner", now["owner"])):
        kept.loc[now.index, key] = value.where(value != "", before[key])
    new = pd.concat([handovers, contacts]).sort_index(kind="stable")  # sheet order
    if new.empty:
        return history, kept
    return pd.concat([history, new[COLUMNS]], ignore_index=True), kept


def kept_as_before(remembered: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame:
    """REMEMBERED for each follow-up row as the snapshot had it: a run that did not read
    the history keeps what it knew, so the next run that does records what is new."""
    return _remembered(remembered, ids)


def _remembered(remembered: pd.DataFrame | None, ids: pd.Series) -> pd.DataFrame:
    """REMEMBERED by follow-up row ("" where the snapshot has nothing: a new customer, or a
    snapshot from before these columns)."""
    out = pd.DataFrame("", index=ids.index, columns=list(REMEMBERED), dtype=object)
    if remembered is None or remembered.empty:
        return out
    known = ids.isin(remembered.index) & (ids != "")
    for key in REMEMBERED:
        if key in remembered.columns:
            found = remembered[key].reindex(ids[known].to_numpy())
            out.loc[known, key] = map_unique(found, cell_text).to_numpy()
    return out


def _current(known: pd.DataFrame, managers: dict[str, str]) -> pd.DataFrame:
    owner = map_unique(known["owner"], cell_text)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(known["last_contact"]),
            "customer_id": known["customer_id"],
            **{k: map_unique(known[k], cell_text) for k in TEXT if k not in ("owner", "manager")},
            "owner": owner,
            "manager": owner.map(lambda o: managers.get(o, "")),
        },
        index=known.index,
    )


def _handovers(
    history: pd.DataFrame, now: pd.DataFrame, kept: pd.Series, today: dt.date, locale: str
) -> pd.DataFrame:
    """负责人 changed since the one last recorded: "交接:旧→新", dated today, whether or not
    the customer was ever contacted. `kept`: the snapshot's owner ("" for a customer it does
    not know: then the tab's last row naming one)."""
    owners = _latest(history[history["owner"] != ""])["owner"]
    tab = owners.reindex(now["customer_id"].to_numpy()).fillna("").to_numpy()
    before = kept.where(kept != "", pd.Series(tab, index=now.index)).to_numpy()
    moved = (before != "") & (now["owner"] != "") & (before != now["owner"])
    if moved.any():  # 張偉 and 张伟 are one person: only real changes are handovers
        pairs = zip(before[moved.to_numpy()], now.loc[moved, "owner"], strict=True)
        moved[moved] = [normalise_header(a) != normalise_header(b) for a, b in pairs]
    rows: pd.DataFrame = now[moved].copy()
    old = pd.Series(before, index=now.index)[moved]
    rows["summary"] = [
        say("history_handover", locale, old=o, new=n)
        for o, n in zip(old, rows["owner"], strict=True)
    ]
    rows["date"], rows["method"], rows["feedback"] = pd.Timestamp(today), "", ""
    return rows.assign(kind="handover", recorded=pd.Timestamp(today))


def _contacts(
    history: pd.DataFrame,
    now: pd.DataFrame,
    kept: pd.Series,
    today: dt.date,
    filed: set[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The contacts not recorded yet: neither the one the snapshot last kept (`kept`, so an
    annotated, edited or deleted row is not taken for a new contact) nor one the tab holds
    (so a sorted tab, or a contact someone typed in, is not recorded twice)."""
    told = history[history["kind"].isin(CONTACTS)]
    fresh = now[(now["key"] != "") & (now["key"] != kept)]  # most runs: a few customers
    mine = told[told["customer_id"].isin(set(fresh["customer_id"]))]  # only theirs hashed
    keys = contact_keys(mine["date"], mine["summary"], mine["feedback"])
    on_file = set(zip(mine["customer_id"], keys, strict=True)) | (filed or set())
    known = [(c, k) in on_file for c, k in zip(fresh["customer_id"], fresh["key"], strict=True)]
    rows = fresh[~pd.Series(known, index=fresh.index, dtype=bool)].drop(columns="key")
    seen = rows["customer_id"].isin(set(told["customer_id"]))
    kind = seen.map({True: "contact", False: "first"}).astype(object)
    return rows.assign(kind=kind, recorded=pd.Timestamp(today))


def history_rows(history: pd.DataFrame, locale: str, header: bool = True) -> list[list[object]]:
    """Sheet rows (header first unless `header` is False), dates as dates."""
    kinds = {t.key: t.text(locale) for t in HISTORY_KINDS}
    rows: list[list[object]] = [[*HISTORY.headers(locale)]] if header else []
    for record in history[COLUMNS].itertuples(index=False):
        values: dict[str, Any] = dict(zip(COLUMNS, record, strict=True))  # kinds vary by column
        values["kind"] = kinds.get(values["kind"], kinds["contact"])
        for key in ("date", "recorded"):
            values[key] = values[key].date() if pd.notna(values[key]) else None
        rows.append([v if v != "" else None for v in values.values()])
    return rows


def contacts(history: pd.DataFrame) -> pd.DataFrame:
    """The contacts (handovers left out), one per customer and 跟进日期, in the order
    recorded: what the health rule and the digest read.

    The tab gets a row whenever 跟进内容摘要 or 客户反馈 changes, so a rep refining the note
    of one call (same 上次跟进日期) leaves several rows for it. They are one contact: the
    latest row of each date stands for it (its words are the final ones), so one unanswered
    call is not "no response three times in a row" and 再上次 never repeats the same call."""
    told = history[history["kind"].isin(CONTACTS)]
    return told.drop_duplicates(["customer_id", "date"], keep="last")


def earlier_contact(history: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The contact before each customer's latest one, for the digest's "再上次" (the
    latest is the sheet's own row): `before_date`, `before_summary` (NaT / "" if none)."""
    recent = contacts(history).groupby("customer_id", sort=False).tail(2)
    before = recent[recent.duplicated("customer_id", keep="last")].set_index("customer_id")
    matched = before.reindex(ids.to_numpy())
    return pd.DataFrame(
        {
            "before_date": pd.to_datetime(matched["date"]).to_numpy(),
            "before_summary": matched["summary"].fillna("").to_numpy(),
        },
        index=ids.index,
    )


def former_managers(history: pd.DataFrame) -> dict[str, str]:
    """Each owner's 上级 as last recorded: who managed someone who has left the team tab."""
    named = history[(history["owner"] != "") & (history["manager"] != "")]
    latest = named.drop_duplicates("owner", keep="last")
    return dict(zip(latest["owner"], latest["manager"], strict=True))

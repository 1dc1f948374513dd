"""Who gets which reminder today: owner digests (with the rows each owner must fix), manager
escalations and summaries, and notices of rows nobody owns, as plain data.

Pure: the board (one row per customer), the task log, the team and `today` in; a list of
`Mail` out, each carrying exactly the recipient's own customers. Rendering and delivery are
`mailer.py`'s job. A digest is one per owner per day (overdue tasks appear again the next
day: it is the owner's to-do list); an escalation is once per task, ever.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.rules.events import CARE_DAYS, RENEWAL_DAYS, next_birthday
from sheetsync.rules.grading import GradeRule
from sheetsync.rules.tasks import by_id
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.messages import listed, say
from sheetsync.workbook.parsing import cell_text, is_blank, map_unique
from sheetsync.workbook.schema import TASK_KINDS
from sheetsync.workbook.tables import Sheet
from sheetsync.workbook.terms import normalise_header

EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
CONTRACT_DAYS, BIRTHDAY_DAYS = RENEWAL_DAYS, CARE_DAYS  # the digest lists what has a task
# What was sent is on record this long (the journal and 邮件记录, records.JOURNAL_DAYS): a
# once-only mail or list is planned within it, never after, so it cannot go twice.
RECORD_DAYS = 14


def one_line(text: str) -> str:
    """Header values never carry a line break: a name cannot inject a header."""
    return " ".join(str(text).split())


def valid_email(value: object) -> bool:
    return not is_blank(value) and bool(EMAIL_RE.match(str(value).strip()))


@dataclass(frozen=True)
class Member:
    name: str
    email: str
    manager: str


def read_team(team: Sheet | None) -> dict[str, Member]:
    if team is None:
        return {}
    members = {}
    for record in team.frame.itertuples():
        if not is_blank(record.owner):
            name = str(record.owner).strip()
            email = "" if is_blank(record.email) else str(record.email).strip()
            manager = "" if is_blank(record.manager) else str(record.manager).strip()
            members[name] = Member(name, email, manager)
    return members


@dataclass
class Mail:
    kind: str  # digest | escalation | summary | fixes
    recipient: str  # the person it is meant for
    to: str  # where it goes (may be a fallback)
    key: str  # once per key: kind/recipient/day
    context: dict
    reminds: list[tuple[str, str]] = field(default_factory=list)  # task keys: id, due day
    escalates: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


class Addresses:
    """Where a person's mail goes: their own valid address, else the fallback, else their
    manager's. Every redirect is noted, so the sync log says whose mail went where."""

    def __init__(self, team: dict[str, Member], fallback: str, locale: str = "zh") -> None:
        self.team, self.fallback, self.locale = team, fallback.strip(), locale
        self.notes: list[str] = []

    def own(self, name: str) -> str:
        member = self.team.get(name)
        return member.email if member and valid_email(member.email) else ""

    def resolve(self, name: str) -> str:
        address = self.own(name)
        if address:
            return address
        manager = self.team.get(name, Member(name, "", "")).manager
        target = self.fallback if valid_email(self.fallback) else self.own(manager)
        key = "no_email_redirected" if target else "no_email_not_sent"
        self.notes.append(say(key, self.locale, name=name, target=target))
        return target


def due_tasks(
    board: pd.DataFrame, log: pd.DataFrame, today: dt.date, rules: list[GradeRule]
) -> pd.DataFrame:
    """Open tasks due today or earlier for customers still due or overdue, with their details."""
    now = pd.Timestamp(today)
    read = [c for c in board if c in CARD_COLUMNS or c in ("owner", "grade")]  # no more
    current = board.loc[board["status"].isin(["due_today", "overdue"]) & ~board["has_error"], read]
    current = current.drop_duplicates("customer_id", keep=False)
    open_due = log[(log["state"] == "open") & (log["due_date"] <= now)]
    tasks = open_due.drop(columns=["owner", "grade"]).merge(
        current, left_on=["customer_id", "due_date"], right_on=["customer_id", "due"]
    )
    order = {r.grade: i for i, r in enumerate(rules)}  # days_overdue: the board's, workdays
    tasks["grade_order"] = tasks["grade"].map(order)
    return tasks.sort_values(
        ["grade_order", "days_overdue"], ascending=[True, False], kind="stable"
    )


@dataclass(frozen=True)
class RowLinks:
    """Where a customer's row can be opened from a mail: a Google sheet's tab URL
    (`.../edit#gid=N`, a row is `&range=A12`), or, for a file, only its name (a mail can
    link to no row of it, so it says "b.xlsx, row 12")."""

    file: str = ""
    url: str = ""

    def links(self, rows: pd.Series) -> pd.Series:
        if not self.url:
            return pd.Series("", index=rows.index, dtype=object)
        return self.url + "&range=A" + rows.astype(int).astype(str)


PHONE_RE = re.compile(r"^\+?[\d\s\-()]{7,20}$")
UPCOMING_DAYS = 7  # 本周即将到期: due within the next week


def tel(value: object) -> str:
    """A `tel:` target for a phone number as people type it ("139 1111-2222"), "" for
    anything else (an e-mail address, a note): a phone tap dials it."""
    text = cell_text(value)
    if not PHONE_RE.match(text):
        return ""
    return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)


# A cell as pandas holds it (NaN, NaT or None when blank): typed Any, as pandas' own cells are.
def _date(value: Any) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _amount(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, a column at a time: `to_dict("records")` boxes every cell on its own,
    3 s for the 100 k tasks of a big team where this takes a tenth of that."""
    columns = list(frame.columns)
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


class Cards(Sequence):
    """A digest section's cards, counted whole but made only when read: a mail shows the
    first `SHOWN` of each section (`items[:shown]`) and counts the rest, so an owner with
    25 k tasks costs the dicts of 50 cards, not of 25 k (~100 MB at 100 k customers).
    Indexing, slicing and iterating give the same dicts a list of every card would."""

    CHUNK = 2000  # cards made at a time when something reads them all (a group's chat)

    def __init__(
        self,
        frame: pd.DataFrame,
        make: Callable[[pd.DataFrame], list[dict]],
        days: pd.Series,
        rows: np.ndarray | None = None,
    ) -> None:
        self.frame, self._make, self.days = frame, make, days  # days: each card's days_overdue
        self._rows = rows  # where this section's cards are in `frame` (None: every row)
        self._made: dict[tuple, list[dict]] = {}  # the text and the HTML show the same cards

    def __len__(self) -> int:
        return len(self.frame) if self._rows is None else len(self._rows)

    def _frame(self, at) -> pd.DataFrame:
        return self.frame.iloc[at if self._rows is None else self._rows[at]]

    def __getitem__(self, at):
        if isinstance(at, slice):
            key = (at.start, at.stop, at.step)
            if key not in self._made:
                self._made[key] = self._make(self._frame(at))
            return [dict(card) for card in self._made[key]]  # a template may change its own
        return self._make(self._frame([at]))[0]  # IndexError past the end, as a list

    def __iter__(self) -> Iterator[dict]:
        for start in range(0, len(self), self.CHUNK):
            yield from self[start : start + self.CHUNK]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Cards({len(self)})"

    def split(self) -> dict[str, Sequence[dict]]:
        """`sections`, without making a card: overdue, then due today."""
        late = (self.days > 0).to_numpy()
        rows = np.arange(len(self.frame)) if self._rows is None else self._rows
        return {  # the rows' places in the one frame: an owner's tasks are not copied again
            "overdue": Cards(self.frame, self._make, self.days[late], rows[late]),
            "due_today": Cards(self.frame, self._make, self.days[~late], rows[~late]),
        }


def sections(tasks: Sequence[dict]) -> dict[str, Sequence[dict]]:
    """A digest's tasks split as the mail shows them: overdue, then due today."""
    if isinstance(tasks, Cards):
        return tasks.split()
    return {
        "overdue": [t for t in tasks if t["days_overdue"] > 0],
        "due_today": [t for t in tasks if t["days_overdue"] <= 0],
    }


def _cards(frame: pd.DataFrame, actions: dict[str, str], today: dt.date, links: RowLinks):
    """The rows as digest cards, made only when a mail reads them (`Cards`)."""
    days = _shown_days(frame, today)
    return Cards(frame, lambda rows: _items(rows, actions, today, links), days)


def _due(frame: pd.DataFrame) -> pd.Series:
    return frame["due_date"] if "due_date" in frame else frame["due"]


def _shown_days(frame: pd.DataFrame, today: dt.date) -> pd.Series:
    """Days overdue as a digest card says them: the board's `days_overdue` (workdays past
    the due date, `WorkCalendar.days_overdue`), and a task past its date is at least 1 day
    overdue (due Friday, on Sunday no workday has passed, yet it is no longer due today)."""
    days = frame["days_overdue"]
    late = (pd.Timestamp(today) - _due(frame)).dt.days > 0
    return days.where(~late, days.clip(lower=1)).astype(int)


# What a mail or a chat message shows of a cell, at most: a name, or a note. A sheet holds up
# to 32,767 characters in a cell; a 100 MB summary once made a 443 MB mail, and a 300 k
# character name 53 group messages.
NAME_CHARS, NOTE_CHARS = 80, 500


def clipped(value: object, limit: int = NOTE_CHARS) -> str:
    """A cell as a mail or a message shows it: trimmed text, cut at `limit` with "…"."""
    text = cell_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(value: object) -> str:
    return clipped(value, NAME_CHARS)


def _items(frame: pd.DataFrame, actions: dict[str, str], today: dt.date, links: RowLinks):
    """One dict per row, built column by column (a 25 k-row digest in a blink, where a
    dict per `itertuples` row took seconds); the fields every digest template reads."""
    due = _due(frame)
    action = map_unique(frame["action"], clipped)
    fallback = frame["grade"].map(actions).fillna("")
    rows = frame["sheet_row"] if "sheet_row" in frame else pd.Series(0, index=frame.index)
    items = pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "customer": map_unique(frame["customer"], _name),
            "grade": frame["grade"],
            "contact": map_unique(frame["contact"], _name),
            "phone": map_unique(frame["phone"], _name),
            "tel": map_unique(frame["phone"], tel),
            "last_contact": map_unique(frame["last_contact"], _date),
            "summary": map_unique(frame["summary"], clipped),
            **_earlier(frame),
            "feedback": map_unique(frame["feedback"], clipped),
            "action": action.where(action != "", fallback),
            "due": map_unique(due, _date),
            "classification": map_unique(frame["classification"], _name),
            "health": frame["health"].astype(object).where(frame["health"].notna(), None),
            "stalled": frame["stalled"].fillna(False).astype(bool),
            "stage": map_unique(frame["stage"], _name),
            "stage_days": map_unique(frame["stage_days"], _days),
            "amount": map_unique(frame["amount"], _amount),
            "days_overdue": _shown_days(frame, today),
            "row": rows.fillna(0).astype(int),
            "link": links.links(rows.fillna(0)),
        },
        index=frame.index,
    )
    return records(items)


CARD_COLUMNS = frozenset(  # what `_items` and a digest's reminders read, and the grouping
    (
        *("customer_id", "customer", "grade", "contact", "phone", "last_contact", "summary"),
        *("before_date", "before_summary", "feedback", "action", "due_date", "due"),
        *("classification", "health", "stalled", "stage", "stage_days", "amount"),
        *("sheet_row", "_owner", "days_overdue"),
    )
)


def _earlier(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The contact before the latest, from 跟进历史 (the board's `before_*` columns, when
    the caller's board has them): the card's "再上次" (the time before)."""
    if "before_date" not in frame:
        blank = pd.Series(None, index=frame.index, dtype=object)
        return {"before_date": blank, "before_summary": blank.fillna("")}
    return {
        "before_date": map_unique(frame["before_date"], _date),
        "before_summary": map_unique(frame["before_summary"], clipped),
    }


def last_digests(keys: Iterable[str], today: dt.date) -> dict[str, str]:
    """Each owner's last digest before today ("YYYY-MM-DD"), from the once-keys on record
    (the journal and 邮件记录: two weeks of them)."""
    found: dict[str, str] = {}
    for key in keys:
        kind, _, rest = key.partition("/")
        owner, _, day = rest.rpartition("/")
        if kind == "digest" and day < today.isoformat() and day > found.get(owner, ""):
            found[owner] = day
    return found


def missed_occasions(
    log: pd.DataFrame, board: pd.DataFrame, last: dict[str, str], today: dt.date, locale: str
) -> dict[str, list[dict]]:
    """错过的客户关怀/续约, by owner: the tasks recorded missed (`rules/tasks.py`) since the
    owner's last digest (`last`; none on record: the record's two weeks), so each is listed
    in one digest, the next, and never again."""
    missed = log[(log["state"] == "missed") & log["done_on"].notna()]
    if missed.empty:
        return {}
    owner = map_unique(missed["owner"], cell_text)
    since = owner.map(lambda o: last.get(o, (today - dt.timedelta(days=RECORD_DAYS)).isoformat()))
    seen_on = missed["done_on"].dt.strftime("%Y-%m-%d")
    new = (seen_on > since) & (seen_on <= today.isoformat())
    if not new.any():
        return {}
    missed = missed[new].assign(_owner=owner[new])
    names = board.drop_duplicates("customer_id").set_index("customer_id")["customer"]
    kinds = {t.key: t.text(locale) for t in TASK_KINDS}
    items = pd.DataFrame(
        {
            "_owner": missed["_owner"],
            "customer_id": missed["customer_id"],
            "customer": map_unique(by_id(names, missed["customer_id"]), _name),
            "kind": missed["kind"].map(kinds),
            "due": map_unique(missed["due_date"], _date),
        }
    ).sort_values(["due", "customer_id"], kind="stable")
    return {
        str(o): records(mine.drop(columns="_owner"))
        for o, mine in items.groupby("_owner", sort=False)
    }


def plan_digests(
    board: pd.DataFrame,
    tasks: pd.DataFrame,
    rules: list[GradeRule],
    today: dt.date,
    addresses: Addresses,
    fixes: dict[str, list[dict]] | None = None,
    links: RowLinks | None = None,
    missed: dict[str, list[dict]] | None = None,
) -> list[Mail]:
    """`tasks` from `due_tasks`; `board` for each owner's contracts, birthdays and the week
    ahead; `fixes` (from `rows_to_fix`) for the rows each owner must correct and `missed`
    (from `missed_occasions`) for the greetings and renewals they missed: those alone earn a
    digest. `board` may carry `sheet_row` (the row people see), for the row links.

    Grouped once by owner (a groupby, not a filter per owner), so 100 k customers cost
    what a few columns do."""
    actions, fixes, links = {r.grade: r.action for r in rules}, fixes or {}, links or RowLinks()
    board = board.assign(_owner=map_unique(board["owner"], cell_text))
    tasks = tasks.assign(_owner=map_unique(tasks["owner"], cell_text))
    shown = [c for c in tasks if c in CARD_COLUMNS]  # each owner's share copied: no more
    tasks_by = {str(o): mine for o, mine in tasks[shown].groupby("_owner", sort=False)}
    extras_by = _extras_by_owner(board, today)
    ahead_by = dict(tuple(_upcoming(board, today).groupby("_owner", sort=False)))
    mails = []
    missed = missed or {}
    owners = sorted(set(tasks_by) | set(board["_owner"].unique()) | set(fixes) | set(missed))
    members = {normalise_header(n) for n in addresses.team}
    for owner in filter(None, owners):  # rows with no owner: `plan_unowned`'s
        if members and normalise_header(owner) not in members:
            continue  # left the team: reported to a manager instead (`plan_escalations`)
        mine = tasks_by.get(owner, tasks.iloc[:0])
        extras = extras_by.get(owner, {"contracts": [], "birthdays": []})
        to_fix, passed = fixes.get(owner, []), missed.get(owner, [])
        if not len(mine) and not any(extras.values()) and not to_fix and not passed:
            continue  # (a digest already sent today is known by its key, not planned again)
        ahead = ahead_by.get(owner)
        items = _cards(mine, actions, today, links)
        context = {
            "owner": owner,
            "today": today,
            "tasks": items,
            **sections(items),
            **extras,
            "fixes": to_fix,
            "missed": passed,
            "upcoming": [] if ahead is None else _cards(ahead, actions, today, links),
            "sheet": {"file": links.file, "url": links.url},
        }
        mails.append(
            Mail(
                "digest",
                owner,
                addresses.resolve(owner),
                f"digest/{owner}/{today}",
                context,
                reminds=list(
                    zip(
                        mine["customer_id"].tolist(),
                        _due_days(mine["due_date"]).tolist(),
                        strict=True,
                    )
                ),
            )
        )
    return mails


def _due_days(due: pd.Series) -> pd.Series:
    """Due dates as the journal keeps them ("2026-11-18"), formatted a column at a time."""
    return due.dt.strftime("%Y-%m-%d").fillna("")


def _upcoming(board: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """本周即将到期: customers next due within the week, soonest first (not reminded: a
    heads-up, the task is not open yet)."""
    now = pd.Timestamp(today)
    soon = board[
        (board["status"] == "pending")
        & (board["due"] > now)
        & (board["due"] <= now + pd.Timedelta(days=UPCOMING_DAYS))
    ]
    return soon.sort_values("due", kind="stable")


def _days(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _extras_by_owner(board: pd.DataFrame, today: dt.date) -> dict[str, dict[str, list[dict]]]:
    """Contracts ending within 30 days and birthdays within 7, by owner: the birthday
    arithmetic once per distinct date, not once per customer. A lost deal (已输单) is off
    the list: nobody is reminded of its contract or its birthday."""
    read = ["_owner", "customer_id", "customer", "contact", "contract_end", "birthday"]
    kept = ~board["lost"].astype(bool) if "lost" in board else slice(None)
    board = board.loc[kept, read]  # those columns only: the board whole is ~25 MB at 100 k
    now = pd.Timestamp(today)
    ending = board[
        (board["contract_end"] >= now)
        & (board["contract_end"] <= now + pd.Timedelta(days=CONTRACT_DAYS))
    ].sort_values("contract_end", kind="stable")
    contracts = ending.assign(
        customer=map_unique(ending["customer"], cell_text),
        date=map_unique(ending["contract_end"], _date),
        days=(ending["contract_end"] - now).dt.days,
    )
    days = (next_birthday(board["birthday"], today) - now).dt.days
    near = board[days.notna() & (days.fillna(BIRTHDAY_DAYS + 1) <= BIRTHDAY_DAYS)]
    birthdays = near.assign(
        customer=map_unique(near["customer"], cell_text),
        contact=map_unique(near["contact"], cell_text),
        days=days[near.index].astype(int),
    ).sort_values("days", kind="stable")
    found: dict[str, dict[str, list[dict]]] = {}
    for key, frame, fields in (
        ("contracts", contracts, ["customer_id", "customer", "date", "days"]),
        ("birthdays", birthdays, ["customer_id", "customer", "contact", "days"]),
    ):
        for owner, mine in frame.groupby("_owner", sort=False):
            mine_extras = found.setdefault(str(owner), {"contracts": [], "birthdays": []})
            mine_extras[key] = records(mine[fields])
    return found


LISTED = ["customer_id", "customer", "owner", "grade", "due", "days_overdue"]  # a task's line


def _as_listed(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks as a manager's mail lists them (escalation, backlog): text and dates as shown."""
    return tasks.assign(
        customer=map_unique(tasks["customer"], _name),
        due=map_unique(tasks["due_date"], _date),
        days_overdue=tasks["days_overdue"].astype(int),
        _manager=tasks["_manager"].fillna(""),
    )


def plan_escalations(
    tasks: pd.DataFrame,
    rules: list[GradeRule],
    today: dt.date,
    team: dict[str, Member],
    addresses: Addresses,
    calendar: WorkCalendar,
    orphans: pd.DataFrame | None = None,
) -> list[Mail]:
    """Tasks overdue by at least their grade's 逾期升级 workdays, once each, to the owner's
    manager.

    `orphans` (rules/handover.py): customers whose owner left the team, each with the
    managers to tell (`report_to`). Those managers get the owners and their customers in
    the mail every day until they are reassigned, and the owners' overdue tasks."""
    after = tasks["grade"].map({r.grade: r.escalate_after for r in rules})
    due = tasks[
        (tasks["days_overdue"] >= after)
        & tasks["escalated_at"].map(is_blank)
        & _known_long_enough(tasks, after, today, calendar)
    ]
    rows = _as_listed(_by_manager(due, team, orphans))
    fields = LISTED
    groups = {str(m): mine for m, mine in rows.groupby("_manager", sort=False)}
    told = _orphans_by_manager(orphans)
    mails = []
    for name in sorted(set(groups) | set(told)):
        items = groups.get(name, rows.iloc[:0])
        if not name:
            owners = listed(sorted(set(items["owner"].astype(str))), addresses.locale)
            addresses.notes.append(say("escalation_no_manager", addresses.locale, owners=owners))
            continue
        context = {"manager": name, "today": today, "tasks": records(items[fields])}
        mails.append(
            Mail(
                "escalation",
                name,
                addresses.resolve(name),
                f"escalation/{name}/{today}",
                {**context, "orphans": told.get(name, [])},
                escalates=list(
                    zip(items["customer_id"], _due_days(items["due_date"]), strict=True)
                ),
            )
        )
    return mails


def _known_long_enough(
    tasks: pd.DataFrame, after: pd.Series, today: dt.date, calendar: WorkCalendar
) -> pd.Series:
    """A task the sync first knew already overdue (the first sync's backlog, a row added
    late) escalates once overdue by its grade's 逾期升级 days counted from that day: nobody
    was reminded of it before, and a manager is not sent a team's history one task a row.
    Workdays, as `days_overdue` counts them: a first sync on a Friday or the day before
    National Day gives the owner that many working days, not a weekend or a holiday."""
    created = tasks["created"]
    late = created.notna() & (created > tasks["due_date"])
    return ~late | (calendar.workdays_between(created, today) >= after)


def _by_manager(
    tasks: pd.DataFrame, team: dict[str, Member], orphans: pd.DataFrame | None
) -> pd.DataFrame:
    """`tasks` with `owner` as text and `_manager`, the manager told of each: an orphan's
    task goes to each manager told of its owner (one row per manager)."""
    owner = map_unique(tasks["owner"], cell_text)
    left = {} if orphans is None else dict(zip(orphans["owner"], orphans["report_to"], strict=True))
    manager = owner.map(lambda o: left.get(o) or team.get(o, Member("", "", "")).manager)
    return tasks.assign(owner=owner, _manager=manager).explode("_manager").reset_index(drop=True)


BACKLOG_SHOWN = 10  # the oldest tasks a backlog mail lists; the rest are counted by owner


def first_sync_day(log: pd.DataFrame) -> pd.Timestamp | None:
    """The day the sync first kept tasks (the first run on the sheet): the earliest 创建日期
    in 任务记录, where open tasks stay however old."""
    first = log["created"].min() if len(log) else pd.NaT
    return None if pd.isna(first) else pd.Timestamp(first)


def plan_backlog(
    tasks: pd.DataFrame,
    first: pd.Timestamp | None,
    today: dt.date,
    team: dict[str, Member],
    addresses: Addresses,
    orphans: pd.DataFrame | None = None,
) -> list[Mail]:
    """The first sync's backlog: tasks already overdue when the sync first ran, still open,
    in one mail to each manager (a count per owner and the oldest ten) instead of one
    escalation each. Keyed by the first day, so it goes once, on the first working day.
    A task already escalated (`escalated_at`: by a version of the sync before the backlog
    mail) is left out: its manager was told of it."""
    if first is None or pd.Timestamp(today) - first >= pd.Timedelta(days=RECORD_DAYS):
        return []
    backlog = (tasks["created"] == first) & (tasks["created"] > tasks["due_date"])
    old = tasks[backlog & tasks["escalated_at"].map(is_blank)]
    old = _by_manager(old, team, orphans).sort_values(["due_date", "customer_id"], kind="stable")
    old, fields = _as_listed(old), LISTED
    mails = []
    for manager, mine in old[old["_manager"] != ""].groupby("_manager", sort=True):
        name = str(manager)
        counts = mine["owner"].value_counts(sort=False).sort_index()
        owners = [{"owner": o, "count": int(n)} for o, n in counts.items()]
        context = {"manager": name, "today": today, "first": first.date(), "count": len(mine)}
        context |= {"owners": owners, "tasks": records(mine[fields].head(BACKLOG_SHOWN))}
        key = f"backlog/{name}/{first.date().isoformat()}"
        mails.append(Mail("backlog", name, addresses.resolve(name), key, context))
    return mails


def _orphans_by_manager(orphans: pd.DataFrame | None) -> dict[str, list[dict]]:
    """For each former 上级: the owners who left the team, with their customers. A name the
    sync never knew stays in the rows-to-fix mail (`rows_to_fix`), as a typo would."""
    if orphans is None or orphans.empty:
        return {}
    found: dict[str, list[dict]] = {}
    for owner, mine in orphans[orphans["former"] != ""].groupby("owner", sort=True):
        entry = {"owner": owner, "count": len(mine), "customers": records(mine[_ORPHAN_FIELDS])}
        for name in mine["report_to"].iloc[0]:
            found.setdefault(name, []).append(entry)
    return found


_ORPHAN_FIELDS = ["customer_id", "customer"]


def departed(orphans: pd.DataFrame | None) -> frozenset[str]:
    """Owners who left the team (their former 上级 is known): reported, not rows to fix."""
    if orphans is None or orphans.empty:
        return frozenset()
    return frozenset(orphans.loc[orphans["former"] != "", "owner"])


def managers(team: dict[str, Member]) -> list[str]:
    """Everyone named in the 上级 column."""
    return sorted({m.manager for m in team.values() if m.manager})


def plan_summaries(
    summary: list[list],
    team: dict[str, Member],
    today: dt.date,
    addresses: Addresses,
    charts: list | None = None,
) -> list[Mail]:
    """The summary tab's figures (no contact details in it) to everyone who manages someone:
    `rows` as the tab holds them, plus `tables` (title, header, rows per section) and
    `charts` (the tab's charts as labels and numbers) for a mail that reads like a report."""
    rows = [
        ["" if v is None else str(v) if isinstance(v, float) else v for v in row] for row in summary
    ]
    context = {"rows": rows, "tables": summary_tables(rows), "charts": chart_data(summary, charts)}
    return [
        Mail(
            "summary",
            name,
            addresses.resolve(name),
            f"summary/{name}/{today}",
            {"manager": name, "today": today, **context, "tasks": []},
        )
        for name in managers(team)
    ]


def summary_tables(rows: list[list]) -> list[dict]:
    """The summary's sections (blank-row separated): a title row, a header row, data. The
    first section (the title and date) is the mail's heading, not a table."""
    sections, current = [], []
    for row in [*rows, []]:
        if any(cell_text(v) for v in row):
            current.append(row)
        elif current:
            sections.append(current)
            current = []
    tables = []
    for section in sections[1:]:
        width = max(len(r) for r in section)
        body = [[*r, *[""] * (width - len(r))] for r in section[2:]]
        header = [*section[1], *[""] * (width - len(section[1]))] if len(section) > 1 else []
        right = [c for c in range(1, width + 1) if _numbers([r[c - 1] for r in body])]
        tables.append(
            {"title": cell_text(section[0][0]), "header": header, "rows": body, "right": right}
        )
    return tables


def _numbers(cells: list) -> bool:
    """A column of figures ("1,234.50", "22.5%", "—"): aligned right, as in the tab."""
    shown = [cell_text(v).replace(",", "").rstrip("%") for v in cells if cell_text(v)]
    return bool(shown) and all(v == "—" or _is_figure(v) for v in shown)


def _is_figure(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def chart_data(summary: list[list], charts: list | None) -> list[dict]:
    """Each chart's labels and numbers, read from the cells it is drawn from in the tab."""
    found = []
    for chart in charts or []:
        (label_col, first, last), (value_col, _, _) = chart.categories, chart.values
        cells = [summary[r - 1] if r - 1 < len(summary) else [] for r in range(first, last + 1)]
        labels = [cell_text(c[label_col - 1]) if len(c) >= label_col else "" for c in cells]
        values = [_number(c[value_col - 1]) if len(c) >= value_col else 0.0 for c in cells]
        found.append({"kind": chart.kind, "title": chart.title, "labels": labels, "values": values})
    return found


def _number(value: Any) -> float:
    try:
        number = float(value)  # whatever a cell holds: what is no number is 0
    except (TypeError, ValueError):
        return 0.0
    return number if number == number and abs(number) != float("inf") else 0.0


def rows_to_fix(
    board: pd.DataFrame,
    row_numbers: pd.Series,
    checks: pd.Series,
    team: dict[str, Member],
    links: RowLinks | None = None,
    departed: frozenset[str] = frozenset(),
) -> dict[str, list[dict]]:
    """The rows a person must correct, by the team member to tell ("" for nobody): rows with
    errors (资料不全, never scheduled) and rows whose owner is not in the team tab (their
    mail reaches nobody), except owners who left (`departed`: their former 上级 hears of
    them in the escalation mail). Each with its sheet row and its 校验提示, the reason."""
    names = {normalise_header(n): n for n in team}
    tell = board["owner"].map(
        lambda v: names.get(normalise_header(v), "") if names else cell_text(v)
    )
    unknown = (tell == "") & ~board["owner"].map(is_blank)
    unknown &= ~map_unique(board["owner"], cell_text).isin(departed).astype(bool)
    wanted = board.assign(sheet_row=row_numbers, check=checks, tell=tell)
    wanted = wanted[wanted["has_error"].astype(bool) | unknown].sort_values("sheet_row")
    items = pd.DataFrame(
        {
            "customer_id": wanted["customer_id"],
            "customer": map_unique(wanted["customer"], _name),
            "owner": map_unique(wanted["owner"], _name),
            "row": wanted["sheet_row"].astype(int),
            "reason": map_unique(wanted["check"], clipped),
            "link": (links or RowLinks()).links(wanted["sheet_row"]),
            "tell": wanted["tell"],
        }
    )
    found: dict[str, list[dict]] = {}
    for name, mine in items.groupby("tell", sort=False):
        found[str(name)] = records(mine.drop(columns="tell"))
    return found


def plan_unowned(
    rows: list[dict], team: dict[str, Member], today: dt.date, addresses: Addresses, locale: str
) -> list[Mail]:
    """Rows to fix that no team member owns: to `email.fallback` when set, else to every
    manager, so someone who can put them right hears of them."""
    if not rows:
        return []
    fallback = addresses.fallback if valid_email(addresses.fallback) else ""
    if fallback:
        targets = [(fallback, fallback)]
    else:
        targets = [(m, addresses.resolve(m)) for m in managers(team)]
    if not targets:
        addresses.notes.append(say("fixes_nobody", locale, count=len(rows)))
    return [
        Mail(
            "fixes",
            name,
            to,
            f"fixes/{name}/{today}",
            {
                "manager": "" if name == fallback else name,
                "today": today,
                "rows": rows,
                "tasks": [],
            },
        )
        for name, to in targets
    ]

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
from dataclasses import dataclass, field

import pandas as pd

from sheetsync.rules.grading import GradeRule
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import cell_text, is_blank
from sheetsync.workbook.schema import normalise_header
from sheetsync.workbook.tables import Sheet

EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
CONTRACT_DAYS, BIRTHDAY_DAYS = 30, 7


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
    reminds: list[tuple[str, pd.Timestamp]] = field(default_factory=list)  # task keys
    escalates: list[tuple[str, pd.Timestamp]] = field(default_factory=list)
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


def _days_to_birthday(birthday: pd.Timestamp, today: dt.date) -> int | None:
    if pd.isna(birthday):
        return None
    for year in (today.year, today.year + 1):
        try:
            day = dt.date(year, birthday.month, birthday.day)
        except ValueError:  # 29 February in a common year
            day = dt.date(year, 2, 28)
        if day >= today:
            return (day - today).days
    return None


def due_tasks(
    board: pd.DataFrame, log: pd.DataFrame, today: dt.date, rules: list[GradeRule]
) -> pd.DataFrame:
    """Open tasks due today or earlier for customers still due or overdue, with their details."""
    now = pd.Timestamp(today)
    current = board[board["status"].isin(["due_today", "overdue"]) & ~board["has_error"]]
    current = current.drop_duplicates("customer_id", keep=False)
    open_due = log[(log["state"] == "open") & (log["due_date"] <= now)]
    tasks = open_due.drop(columns=["owner", "grade"]).merge(
        current, left_on=["customer_id", "due_date"], right_on=["customer_id", "due"]
    )
    order = {r.grade: i for i, r in enumerate(rules)}
    tasks["days_overdue"] = (now - tasks["due_date"]).dt.days
    tasks["grade_order"] = tasks["grade"].map(order)
    return tasks.sort_values(
        ["grade_order", "days_overdue"], ascending=[True, False], kind="stable"
    )


def _reminded_today(value: object, today: dt.date) -> bool:
    return not is_blank(value) and str(value).startswith(today.isoformat())


def plan_digests(
    board: pd.DataFrame,
    tasks: pd.DataFrame,
    rules: list[GradeRule],
    today: dt.date,
    addresses: Addresses,
    fixes: dict[str, list[dict]] | None = None,
) -> list[Mail]:
    """`tasks` from `due_tasks`; `board` for each owner's contracts and birthdays; `fixes`
    (from `rows_to_fix`) for the rows each owner must correct: those alone earn a digest."""
    actions, fixes = {r.grade: r.action for r in rules}, fixes or {}
    mails = []
    owners = sorted(
        set(tasks["owner"].dropna().astype(str))
        | set(board["owner"].dropna().astype(str))
        | set(fixes)
    )
    for owner in filter(cell_text, owners):  # rows with no owner: `plan_unowned`'s
        mine = tasks[tasks["owner"].astype(str) == owner]
        fresh = mine[~mine["reminded_at"].map(lambda v: _reminded_today(v, today))]
        extras = _extras(board[board["owner"].astype(str) == owner], today)
        to_fix = fixes.get(owner, [])
        if fresh.empty and not any(extras.values()) and not to_fix:
            continue
        items = [_task_item(t, actions) for t in mine.itertuples()]
        context = {"owner": owner, "today": today, "tasks": items, **extras, "fixes": to_fix}
        mails.append(
            Mail(
                "digest",
                owner,
                addresses.resolve(owner),
                f"digest/{owner}/{today}",
                context,
                reminds=list(zip(mine["customer_id"], mine["due_date"], strict=True)),
            )
        )
    return mails


def _task_item(task, actions: dict[str, str]) -> dict:
    return {
        "customer_id": task.customer_id,
        "customer": cell_text(task.customer),
        "grade": task.grade,
        "contact": cell_text(task.contact),
        "phone": cell_text(task.phone),
        "last_contact": task.last_contact.date() if pd.notna(task.last_contact) else None,
        "summary": cell_text(task.summary),
        "feedback": cell_text(task.feedback),
        "action": cell_text(task.action) or actions.get(task.grade, ""),
        "due": task.due_date.date(),
        "classification": cell_text(task.classification),
        "health": task.health,
        "stalled": bool(task.stalled),
        "stage": cell_text(task.stage),
        "stage_days": _days(task.stage_days),
        "days_overdue": int(task.days_overdue),
    }


def _days(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _extras(mine: pd.DataFrame, today: dt.date) -> dict[str, list[dict]]:
    now = pd.Timestamp(today)
    ending = mine[
        (mine["contract_end"] >= now)
        & (mine["contract_end"] <= now + pd.Timedelta(days=CONTRACT_DAYS))
    ]
    contracts = [
        {
            "customer_id": r.customer_id,
            "customer": cell_text(r.customer),
            "date": r.contract_end.date(),
            "days": (r.contract_end - now).days,
        }
        for r in ending.sort_values("contract_end").itertuples()
    ]
    birthdays = []
    for r in mine.itertuples():
        days = _days_to_birthday(r.birthday, today)
        if days is not None and days <= BIRTHDAY_DAYS:
            birthdays.append(
                {
                    "customer_id": r.customer_id,
                    "customer": cell_text(r.customer),
                    "contact": cell_text(r.contact),
                    "days": days,
                }
            )
    return {"contracts": contracts, "birthdays": sorted(birthdays, key=lambda b: b["days"])}


def plan_escalations(
    tasks: pd.DataFrame,
    rules: list[GradeRule],
    today: dt.date,
    team: dict[str, Member],
    addresses: Addresses,
) -> list[Mail]:
    """Tasks overdue by at least their grade's 逾期升级 days, once each, to the owner's manager."""
    after = {r.grade: r.escalate_after for r in rules}
    due = tasks[
        (tasks["days_overdue"] >= tasks["grade"].map(after)) & tasks["escalated_at"].map(is_blank)
    ]
    by_manager: dict[str, list] = {}
    for task in due.itertuples():
        manager = team.get(str(task.owner), Member("", "", "")).manager
        by_manager.setdefault(manager, []).append(task)
    mails = []
    for manager, items in sorted(by_manager.items()):
        if not manager:
            addresses.notes.append(
                f"no manager for {', '.join(sorted({str(t.owner) for t in items}))}: escalation not sent"
            )
            continue
        rows = [
            {
                "customer_id": t.customer_id,
                "customer": cell_text(t.customer),
                "owner": t.owner,
                "grade": t.grade,
                "due": t.due_date.date(),
                "days_overdue": int(t.days_overdue),
            }
            for t in items
        ]
        mails.append(
            Mail(
                "escalation",
                manager,
                addresses.resolve(manager),
                f"escalation/{manager}/{today}",
                {"manager": manager, "today": today, "tasks": rows},
                escalates=[(t.customer_id, t.due_date) for t in items],
            )
        )
    return mails


def managers(team: dict[str, Member]) -> list[str]:
    """Everyone named in the 上级 column."""
    return sorted({m.manager for m in team.values() if m.manager})


def plan_summaries(
    summary: list[list], team: dict[str, Member], today: dt.date, addresses: Addresses
) -> list[Mail]:
    """The summary tab's figures (no contact details in it) to everyone who manages someone."""
    rows = [
        ["" if v is None else str(v) if isinstance(v, float) else v for v in row] for row in summary
    ]
    return [
        Mail(
            "summary",
            name,
            addresses.resolve(name),
            f"summary/{name}/{today}",
            {"manager": name, "today": today, "rows": rows, "tasks": []},
        )
        for name in managers(team)
    ]


def rows_to_fix(
    board: pd.DataFrame, row_numbers: pd.Series, checks: pd.Series, team: dict[str, Member]
) -> dict[str, list[dict]]:
    """The rows a person must correct, by the team member to tell ("" for nobody): rows with
    errors (资料不全, never scheduled) and rows whose owner is not in the team tab (their
    mail reaches nobody). Each with its sheet row and its 校验提示, the reason."""
    names = {normalise_header(n): n for n in team}
    tell = board["owner"].map(
        lambda v: names.get(normalise_header(v), "") if names else cell_text(v)
    )
    unknown = (tell == "") & ~board["owner"].map(is_blank)
    wanted = board.assign(sheet_row=row_numbers, check=checks, tell=tell)
    wanted = wanted[wanted["has_error"].astype(bool) | unknown].sort_values("sheet_row")
    found: dict[str, list[dict]] = {}
    for r in wanted.itertuples():
        found.setdefault(r.tell, []).append(
            {
                "customer_id": r.customer_id,
                "customer": cell_text(r.customer),
                "owner": cell_text(r.owner),
                "row": int(r.sheet_row),
                "reason": cell_text(r.check),
            }
        )
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

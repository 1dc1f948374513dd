"""Alerts that cannot wait for tomorrow's digest: a complaint (投诉处理 task) goes to the owner's
manager in the same run, by mail and on every chat bot the manager names in the team tab,
and privately from the Feishu app with `channels.feishu_app` (delivery/feishu_im.py).
An owner who left the team has no 上级 there any more: their complaint goes to whoever their
overdue tasks go to (`report_to` of rules/handover.py's `orphans`: the former 上级, else every
manager), so a complaint on a departed owner's customer reaches someone.

Once per complaint: the key `alert/<customer id>/<due date>` (the complaint task's due date,
kept while the task is open; `/<manager>` added when several managers are told, one key each) goes into the same journal and 邮件记录 tab as the mail, so a
re-run, or `serve`'s check an hour later, finds it sent. The mail goes through the existing
transport and journal (`Mailer`'s), rendered from templates/alerts/<lang>/; chat through the
existing bots (`Bot.send`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pandas as pd

from sheetsync.delivery.channels import Message, Person, app_messages, read_people
from sheetsync.delivery.mailer import Renderer, deliver
from sheetsync.delivery.masking import MASK
from sheetsync.delivery.remind import (
    NAME_CHARS,
    Addresses,
    Mail,
    Member,
    clipped,
    one_line,
    read_team,
    tel,
)
from sheetsync.resources import templates_dir
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import cell_text

TEMPLATES = templates_dir() / "alerts"


def plan_alerts(
    board: pd.DataFrame,
    team: dict[str, Member],
    addresses: Addresses,
    orphans: pd.DataFrame | None = None,
    phones: dict[str, str] | None = None,
) -> list[Mail]:
    """One mail per open complaint to each manager who hears of it (nobody: a note, no mail).
    It carries whom to call: the customer's contact and phone, and the owner's phone
    (`phones`, the team tab's 手机), the two things a manager needs to act today."""
    phones = phones or {}
    complaint = board[(board["task_kind"] == "complaint") & ~board["has_error"].astype(bool)]
    mails = []
    r: Any  # a row of the board (itertuples): its fields are the board's columns
    for r in complaint.itertuples():
        owner = cell_text(r.owner)
        told = _managers(owner, team, orphans)
        if not told:
            addresses.notes.append(say("alert_no_manager", addresses.locale, owner=owner or "?"))
            continue
        context = {
            "owner": owner,
            "customer": clipped(r.customer, NAME_CHARS),
            "customer_id": r.customer_id,
            "contact": clipped(r.contact, NAME_CHARS),
            "phone": clipped(r.phone, NAME_CHARS),
            "tel": tel(r.phone),
            "owner_phone": phones.get(owner, ""),
            "owner_tel": tel(phones.get(owner, "")),
            "word": clipped(r.alert_word, NAME_CHARS),
            "due": r.due.date(),
            "last_contact": r.last_contact.date() if pd.notna(r.last_contact) else None,
            "summary": clipped(r.summary),
            "feedback": clipped(r.feedback),
        }
        key = f"alert/{r.customer_id}/{r.due.date().isoformat()}"
        for manager in told:
            once = key if len(told) == 1 else f"{key}/{manager}"
            mail_context = {**context, "manager": manager}
            mails.append(Mail("alert", manager, addresses.resolve(manager), once, mail_context))
    return mails


def _phones(team) -> dict[str, str]:
    """Each member's 手机 as typed in the team tab."""
    if team is None or "mobile" not in team.frame:
        return {}
    frame = team.frame
    return {
        cell_text(o).strip(): cell_text(m)
        for o, m in zip(frame["owner"], frame["mobile"], strict=True)
    }


def at_most(
    mails: list[Mail], sent_before: frozenset, most: int
) -> tuple[list[Mail], dict[str, int]]:
    """The alerts sent before (the delivery knows them), and at most `most` new ones to each
    person; and, by person, how many wait for the next run."""
    kept: list[Mail] = []
    new: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    for mail in mails:
        if mail.key in sent_before or new[mail.recipient] < most:
            kept.append(mail)
            new[mail.recipient] += mail.key not in sent_before
        else:
            waiting[mail.recipient] += 1
    return kept, dict(waiting)


def _managers(owner: str, team: dict[str, Member], orphans: pd.DataFrame | None) -> list[str]:
    """The owner's 上级 in the team tab; for an owner no longer in it, the managers their
    overdue tasks go to (`report_to`)."""
    manager = team.get(owner, Member("", "", "")).manager
    if manager or orphans is None:
        return [manager] if manager else []
    left = orphans.loc[orphans["owner"] == owner, "report_to"]
    return list(left.iloc[0]) if len(left) else []


def send_alerts(
    loaded,
    board: pd.DataFrame,
    mailer,
    chats,
    now: dt.datetime,
    orphans: pd.DataFrame | None = None,
    most: int = 10,
):
    """Deliver the alerts not yet in the journal or the 邮件记录 tab; returns notes for the
    sync log and the 邮件记录 tab to write ({} when nothing was sent). `orphans`: the run's
    customers whose owner left the team (`Result.orphans`), for who hears of their complaints."""
    team = read_team(loaded.team)
    fallback = mailer.settings.fallback if mailer else ""
    addresses = Addresses(team, fallback, loaded.locale)
    mails = plan_alerts(board, team, addresses, orphans, _phones(loaded.team))
    if not mails:
        return addresses.notes, {}
    step = mailer or chats
    entries = [*step.journal.entries(), *step.record.entries]
    sent_before = frozenset(e["key"].partition("@")[0] for e in entries)  # by mail or a bot
    mails, waiting = at_most(mails, sent_before, most)
    notes = [
        *addresses.notes,
        *(say("alerts_wait", loaded.locale, recipient=r, count=n) for r, n in waiting.items()),
    ]
    if mailer:
        renderer = mailer.renderer(loaded.locale, TEMPLATES)
        at = now.replace(tzinfo=mailer.zone)
        sent = deliver(mails, renderer, mailer.transport, mailer.journal, at, mailer.done())
        notes.append(say("alert_mail", loaded.locale, summary=sent.summary(loaded.locale)))
    if chats:
        notes += _chat(mails, loaded, chats, now)
    tab = step.record.rows(step.journal.entries(), loaded.locale, now.date())
    return notes, tab


def _chat(mails: list[Mail], loaded, chats, now: dt.datetime) -> list[str]:
    """Each alert on each bot the manager names: in full on a private bot, one line without
    the customer's words on a bot others read too. Delivered by the chat step's own loop."""
    chats.locale, chats.people = loaded.locale, read_people(loaded.team)
    messages = [
        Message(mail, name, group=not chats.settings.bots[name].private)
        for mail in mails
        for name in chats.people.get(mail.recipient.strip(), Person("")).bots
        if name in chats.settings.bots
    ]
    missing: list[str] = []
    if chats.settings.feishu_app:  # and privately from the Feishu app, in full
        app, missing = app_messages(mails, chats.people)
        messages += app
    missing = [say("im_no_id", loaded.locale, name=name) for name in missing]
    if not messages:
        return missing
    writer = _AlertWriter(Renderer(loaded.locale, chats.email.sender, TEMPLATES))
    result = chats.deliver(messages, writer, now)
    details = result.details(loaded.locale)  # what failed, what may not have landed
    if not result.sent and not details:
        return missing
    summary = say("alert_chat", loaded.locale, sent=len(result.sent), failed=len(result.failed))
    return [*missing, MASK(summary + details)]


class _AlertWriter:
    """An alert's title and text: the mail's subject and plain text on a private bot, the
    one-line group subject (no customer's words) on a bot others read."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def write(self, message: Message, at: dt.datetime) -> tuple[str, str]:
        mail = message.mail
        if message.group:
            return "", one_line(self.renderer.subjects["group"].render(**mail.context))
        return self.renderer.subject_and_text(mail, at)

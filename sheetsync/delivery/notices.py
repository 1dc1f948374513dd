"""Notices of a change to who receives a member's mail (rules/recipients.py): to the address
the member's mail went to before the change, and to their manager on record, in the run
that first sees it, by mail and on the private bots they had.

The notice says which cells changed, from what to what (a value that looks like an address
with a token in it is masked), that the member's mail stays where it went until a run on a
later day confirms the change, and the code that `accept_recipient_changes` takes to let it
take effect at once. Once per change: the key `recipients/<name>/<code>/<first seen>` (and
`/<manager>` for the manager's) goes into the mail journal and 邮件记录, so a re-run finds it
sent, and a notice that failed goes out on the next run while the change is held.
"""

from __future__ import annotations

import datetime as dt
import re

from sheetsync.delivery.channels import Message, Person, read_people
from sheetsync.delivery.mailer import Renderer, deliver, plain_text
from sheetsync.delivery.masking import MASK
from sheetsync.delivery.records import SentRecord
from sheetsync.delivery.remind import NAME_CHARS, Addresses, Mail, clipped, read_team, valid_email
from sheetsync.resources import templates_dir
from sheetsync.rules.recipients import FIELDS, Change, Recipients, field_label
from sheetsync.workbook.messages import listed, say

TEMPLATES = templates_dir() / "notices"
URLISH = re.compile(r"^([a-z][a-z0-9+.-]*://[^/?#\s]*)[/?#]\S*", re.I)


def shown(value: str, locale: str) -> str:
    """A recipient cell as a notice shows it: clipped, and an address with a path or query
    (where a webhook keeps its token) cut to its host, so no secret is printed whole."""
    if not value:
        return say("notice_blank", locale)
    return MASK(clipped(URLISH.sub(r"\1/***", value), NAME_CHARS))


def _context(change: Change, recipients: Recipients, locale: str) -> dict:
    team = recipients.team
    rows = [
        {
            "label": field_label(team, f, locale),
            "was": shown(change.before[f], locale),
            "now": shown(change.after[f], locale),
        }
        for f in FIELDS
        if f in change.fields
    ]
    fields = listed((r["label"] for r in rows), locale)
    day = (change.seen + dt.timedelta(days=1)).isoformat()
    return {
        "name": change.name,
        "fields": fields,
        "rows": rows,
        "code": change.code,
        "accepted": change.accepted,
        "day": day,
    }


def on_record(grids: dict[str, list[list]], title: str | None, mailer, chats) -> frozenset[str]:
    """The keys of the notices on record as sent: the mail journal (when the run mails or
    chats) and the workbook's 邮件记录 (a run with neither, a fresh runner)."""
    entries = SentRecord(grids, title).entries
    for step in (mailer, chats):
        if step is not None:
            entries = [*entries, *step.journal.entries()]
    return frozenset(e["key"] for e in entries if e["key"].startswith("recipients/"))


def plan_notices(recipients: Recipients, addresses: Addresses, locale: str) -> list[Mail]:
    """For each change owed a notice: one to the member's previous address (the held team's)
    and one to their manager on record (else `email.fallback`); a note when nobody can be
    told."""
    mails = []
    for change in recipients.to_tell():
        context = _context(change, recipients, locale)
        before = change.before["email"]  # an accepted change is in effect: not the team's
        own = before if valid_email(before) else ""
        manager = change.before["manager"]
        targets = [(change.name, own, change.key, True)] if own else []
        if manager and manager != change.name:
            to = addresses.own(manager) or (
                addresses.fallback if valid_email(addresses.fallback) else ""
            )
            if to and to != own:
                targets.append((manager, to, f"{change.key}/{manager}", False))
        if not targets and valid_email(addresses.fallback):
            targets.append(("", addresses.fallback, f"{change.key}/fallback", False))
        if not targets:
            addresses.notes.append(say("recipients_nobody", locale, name=change.name))
        for recipient, to, key, itself in targets:
            mail_context = {**context, "hello": recipient, "itself": itself, "tasks": []}
            mails.append(Mail("recipients", recipient or to, to, key, mail_context))
    return mails


def _plan(recipients: Recipients, mailer, locale: str) -> tuple[list[Mail], Addresses]:
    team = read_team(recipients.team)  # the held team: the addresses before the change
    fallback = mailer.settings.fallback if mailer else ""
    addresses = Addresses(team, fallback, locale)
    return plan_notices(recipients, addresses, locale), addresses


def send_notices(recipients: Recipients, locale: str, mailer, chats, now: dt.datetime):
    """Deliver the notices not yet in the journal or 邮件记录; returns notes for the sync log
    and the 邮件记录 tab to write ({} when nothing was planned)."""
    mails, addresses = _plan(recipients, mailer, locale)
    if not mails:
        return addresses.notes, {}
    notes = list(addresses.notes)
    step = mailer or chats
    if mailer:
        renderer = mailer.renderer(locale, TEMPLATES)
        at = now.replace(tzinfo=mailer.zone)
        sent = deliver(mails, renderer, mailer.transport, mailer.journal, at, mailer.done())
        notes.append(say("recipients_mail", locale, summary=sent.summary(locale)))
    if chats:
        notes += _chat(mails, recipients, locale, chats, now)
    return notes, step.record.rows(step.journal.entries(), locale, now.date())


def _chat(mails: list[Mail], recipients: Recipients, locale: str, chats, now) -> list[str]:
    """Each notice on the private bots its recipient had before the change (a group's bot
    is not told: the notice is for the member and the manager)."""
    people = read_people(recipients.team)
    chats.locale, chats.people = locale, people
    bots = chats.settings.bots
    messages = [
        Message(mail, name, group=False)
        for mail in mails
        for name in people.get(mail.recipient.strip(), Person("")).bots
        if name in bots and bots[name].private
    ]
    if not messages:
        return []
    writer = _Writer(Renderer(locale, chats.email.sender, TEMPLATES))
    result = chats.deliver(messages, writer, now)
    summary = say("recipients_chat", locale, sent=len(result.sent), failed=len(result.failed))
    return [MASK(summary + result.details(locale))]


class _Writer:
    """A notice on a private bot: the mail's subject and plain text."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def write(self, message: Message, at: dt.datetime) -> tuple[str, str]:
        return self.renderer.subject_and_text(message.mail, at)


def preview_notices(recipients: Recipients, locale: str, mailer, now: dt.datetime) -> list[str]:
    """What a dry run shows of the notices: each one's envelope and text."""
    mails, addresses = _plan(recipients, mailer, locale)
    renderer = (
        mailer.renderer(locale, TEMPLATES)
        if mailer
        else Renderer(locale, "sheetsync@localhost", TEMPLATES)
    )
    shown_ = []
    for mail in mails:
        message = renderer.render(mail, now)
        envelope = say(
            "preview_mail", locale, to=message["To"], state="", subject=message["Subject"]
        )
        shown_.append(f"{envelope}\n\n{plain_text(message)}")
    return [*shown_, *(say("note", locale, text=n) for n in addresses.notes)]

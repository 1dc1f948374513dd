"""Every sentence a person reads is in the sheet's language and script: a scan of the report,
the sync log, the sync's columns, the task log, the summary, every mail and every chat message
of a busy fortnight (a complaint, escalations, an owner with no manager, one who left, a bad
date, a birthday) for English in a Chinese sheet, simplified characters in a 繁體 one,
traditional in a 简体 one, and Chinese in an English one. What people typed is taken out
first: it is theirs, in whatever script they wrote it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re

import openpyxl
import pytest
from conftest import customer, make_workbook, sync
from test_channels import DING, channels, running_vendors

from sheetsync.workbook.messages import simplified, traditional

WEDNESDAY = dt.date(2026, 11, 18)
DAYS = [WEDNESDAY, dt.date(2026, 11, 19), dt.date(2026, 11, 23)]  # Wed, Thu, the next Monday
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: daily, escalated after 1 day
MAIL_ON = {"SHEETSYNC_EMAIL_ENABLED": "yes"}
BOTS = {"zh": ("销售群", "陈静私聊"), "zh-Hant": ("銷售群", "陳靜私聊"), "en": ("Sales", "Chen")}


def people(locale: str) -> tuple[list[list], list[dict]]:
    """The team and customers, typed in the sheet's own script (English names for English)."""
    if locale == "en":
        names = ["Chen Jing", "Zhang Wei", "Li Na", "Wang Wu"]
        notes = ["The customer demands to terminate the contract", "Sent the quote"]
        a = {"budget": "Clear", "intent": "High", "decision_cycle": "20 days"}
        bad, lead = "Bad date", "Manager"
    else:
        names = ["陈静", "张伟", "李娜", "王五"]
        notes = ["客户要求解除合同,对交付很不满意", "报价已发,等采购回复"]
        a, bad, lead = A, "日期写错", "经理"
        if locale == "zh-Hant":
            names, notes = [traditional(n) for n in names], [traditional(n) for n in notes]
            a = {k: traditional(v) for k, v in a.items()}
            bad, lead = traditional(bad), traditional(lead)
    chen, zhang, li, wang = names
    team = [
        [chen, "chen.jing@example.com", "", lead, BOTS[locale][1], "13700000000", "ou_chen"],
        [zhang, "zhang.wei@example.com", chen, "", "", "13800001111", "ou_zhang"],
        [li, "li.na@example.com", "", "", "", "13800002222", "ou_li"],  # no manager
    ]
    week_ago = WEDNESDAY - dt.timedelta(days=8)
    customers = [
        customer("A1", customer=f"{zhang}-1", owner=zhang, feedback=notes[0]),
        customer(
            "Z1", customer=f"{zhang}-2", owner=zhang, summary=notes[1], last_contact=week_ago, **a
        ),
        customer("L1", customer=f"{li}-1", owner=li, last_contact=week_ago, **a),
        customer("W1", customer=f"{wang}-1", owner=wang, last_contact=week_ago, **a),  # left
        customer("B1", customer=bad, owner=zhang, last_contact="2024-13-01"),
        customer(
            "C1", customer=f"{chen}-1", owner=zhang, birthday=WEDNESDAY + dt.timedelta(days=3)
        ),
    ]
    return team, customers


def typed(team: list[list], customers: list[dict]) -> list[str]:
    """Every value people typed, longest first (so a name inside a note goes with the note)."""
    values = {str(v) for row in team for v in row if v}
    values |= {str(v) for c in customers for v in c.values() if isinstance(v, str)}
    return sorted(values, key=len, reverse=True)


def everything_said(tmp_path, locale: str, vendors) -> list[str]:
    team, customers = people(locale)
    path = make_workbook(tmp_path / "b.xlsx", customers, locale=locale, team=team)
    group, private = BOTS[locale]
    chat = channels(team=(group,), **{group: DING, private: {**DING, "private": True}})
    texts: list[str] = []
    for day in DAYS:
        report = sync(
            path, day, email=True, environ={"SHEETSYNC_EMAIL_ENABLED": "yes"}, channels=chat
        )
        texts += report.lines()
    preview = sync(
        path,
        DAYS[-1] + dt.timedelta(days=1),
        dry_run=True,
        email=True,
        environ=MAIL_ON,
        channels=chat,
    )
    assert preview.mail_previews
    texts += preview.lines() + preview.mail_previews  # what --dry-run shows
    book = openpyxl.load_workbook(path)
    shown = [s for s in book.worksheets if s.sheet_state == "visible"]  # not 同步快照
    for sheet in shown[:1] + shown[4:]:  # the follow-ups, the summary and the logs
        texts += [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    for eml in (tmp_path / "outbox").glob("*.eml"):
        mail = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        page = mail.get_body(("html",)).get_content()
        page = re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
        texts += [mail["Subject"], mail.get_body(("plain",)).get_content(), html.unescape(page)]
    texts += [t for fake in vendors.values() for t in fake.texts()]
    assert any("alert-A1" in e.name for e in (tmp_path / "outbox").glob("*.eml"))
    assert len(texts) > 100
    machine = [str(path), path.name, group, private]  # the file a mail links to, the bots
    return [_without(t, machine + typed(team, customers)) for t in texts]


MACHINE = re.compile(
    r"[\w.+-]+@[\w.-]+|https?://\S+|\b[A-Z]{1,2}\d+\b|\b\d{4}-\d{2}-\d{2}\b|sheetsync|"
    r"\b[a-z_]+/[\w/@#.:-]*"  # 邮件记录's keys: alert/A1/2026-11-18, fixes/陈静/...
)


def _without(text: str, values: list[str]) -> str:
    for value in values:
        text = text.replace(value, " ")
    return MACHINE.sub(" ", text)


@pytest.fixture
def vendors(monkeypatch):
    yield from running_vendors(monkeypatch)


def _lines_with(texts: list[str], wrong) -> list[str]:
    found = sorted({line.strip() for t in texts for line in t.splitlines() if wrong(line)})
    print(*found, sep="\n")
    return found


def test_a_chinese_sheet_hears_no_english_and_no_traditional_characters(tmp_path, vendors):
    texts = everything_said(tmp_path, "zh", vendors)
    assert _lines_with(texts, lambda s: re.search(r"[A-Za-z]{2,}", s)) == []
    assert _lines_with(texts, lambda s: simplified(s) != s) == []


def test_a_traditional_sheet_hears_no_simplified_characters_and_no_english(tmp_path, vendors):
    texts = everything_said(tmp_path, "zh-Hant", vendors)
    assert _lines_with(texts, lambda s: re.search(r"[A-Za-z]{2,}", s)) == []
    assert _lines_with(texts, lambda s: traditional(s) != s) == []


def test_an_english_sheet_hears_no_chinese(tmp_path, vendors):
    texts = everything_said(tmp_path, "en", vendors)
    assert _lines_with(texts, lambda s: re.search(r"[\u3400-\u9fff]", s)) == []


@pytest.mark.parametrize(
    "count, words", [(1, "1 overdue follow-up in"), (3, "3 overdue follow-ups in")]
)
def test_english_escalation_subjects_count_in_english(count, words):
    from sheetsync.delivery.mailer import Renderer

    subject = Renderer("en", "sync@example.com").subjects["escalation"]
    text = subject.render(today="2026-11-18", tasks=[{}] * count, orphans=[], manager="Chen")
    assert words in text

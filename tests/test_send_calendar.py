"""When reminders go out: working days only (调休 Saturdays on, Chinese holidays off), the
first sync's backlog in one mail per manager, missed care and renewals kept as 已错过."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import openpyxl
from conftest import customer, make_workbook, results, sheet_rows, sync

TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售"],
    ["李娜", "li.na@example.com", "陈静", "销售"],
]
FRIDAY = dt.date(2026, 11, 20)
SATURDAY, SUNDAY, MONDAY = (FRIDAY + dt.timedelta(days=n) for n in (1, 2, 3))
NATIONAL_DAY = dt.date(2026, 10, 1)  # a Thursday off
MAKE_UP_SATURDAY = dt.date(2026, 10, 10)  # 调休: a Saturday worked for the National Day week
MAIL_ON = {"SHEETSYNC_EMAIL_ENABLED": "yes"}


def outbox(path: Path, kind: str = "") -> list[str]:
    return sorted(p.name for p in (path.parent / "outbox").glob(f"{kind}*.eml"))


def read_mail(path: Path, name: str) -> email.message.EmailMessage:
    eml = path.parent / "outbox" / name
    return email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)


def text_of(path: Path, name: str) -> str:
    return read_mail(path, name).get_body(("plain",)).get_content()


def sync_log_notes(path: Path) -> list[str]:
    rows = sheet_rows(path, "同步日志")
    return [str(r[rows[0].index("说明")] or "") for r in rows[1:]]


def late_customer(day: dt.date, cid: str = "Z1", **values: object) -> dict:
    """A B-grade customer (every 3 days) last called a week before `day`: overdue on it."""
    return customer(cid, customer=f"{cid}的客户", last_contact=day - dt.timedelta(days=7), **values)


# --- digests and escalations on working days only --------------------------------------------
def test_no_digest_on_a_weekend_or_national_day_yet_complaints_and_the_sheet_go_on(tmp_path):
    for day in (SATURDAY, SUNDAY, NATIONAL_DAY):
        folder = tmp_path / day.isoformat()
        folder.mkdir()
        complaint = customer("C1", last_contact=day - dt.timedelta(days=1), feedback="客户投诉")
        path = make_workbook(folder / "b.xlsx", [late_customer(day), complaint], team=TEAM)
        sync(path, day, email=True, environ=MAIL_ON)
        assert outbox(path, "digest") == outbox(path, "escalation") == [], day
        assert len(outbox(path, "alert-C1-")) == 1  # a complaint does not wait for Monday
        assert results(path)["Z1"]["status"] == "已逾期"  # the sheet is synced all the same
        (note,) = sync_log_notes(path)
        assert "不是工作日" in note and "跟进提醒和升级邮件等到下一个工作日" in note


def test_what_saturday_held_back_is_in_mondays_digest(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [late_customer(FRIDAY)], team=TEAM)
    sync(path, SATURDAY, email=True, environ=MAIL_ON)
    sync(path, SUNDAY, email=True, environ=MAIL_ON)
    assert outbox(path) == []
    assert f"下一个工作日 {MONDAY.isoformat()}" in sync_log_notes(path)[0]
    sync(path, MONDAY, email=True, environ=MAIL_ON)
    assert outbox(path, "digest") == [f"digest-张伟-{MONDAY.isoformat()}.eml"]
    assert "Z1的客户" in text_of(path, f"digest-张伟-{MONDAY.isoformat()}.eml")


def test_a_make_up_saturday_has_its_digest_and_an_ordinary_one_none(tmp_path):
    holiday_saturday = MAKE_UP_SATURDAY - dt.timedelta(days=7)  # 10-03, in the National Day week
    path = make_workbook(tmp_path / "b.xlsx", [late_customer(holiday_saturday)], team=TEAM)
    sync(path, holiday_saturday, email=True, environ=MAIL_ON)
    assert outbox(path, "digest") == []  # overdue, but a day off
    sync(path, MAKE_UP_SATURDAY, email=True, environ=MAIL_ON)
    assert outbox(path, "digest") == [f"digest-张伟-{MAKE_UP_SATURDAY.isoformat()}.eml"]


def test_the_weekend_setting_sends_digests_on_days_off(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [late_customer(SATURDAY)], team=TEAM)
    sync(path, SATURDAY, email=True, environ=MAIL_ON)
    assert outbox(path, "digest") == []  # the default: working days only
    environ = {**MAIL_ON, "SHEETSYNC_WEEKEND_REMINDERS": "true"}
    sync(path, SUNDAY, email=True, environ=environ)
    assert outbox(path, "digest") == [f"digest-张伟-{SUNDAY.isoformat()}.eml"]
    assert "不是工作日" not in sync_log_notes(path)[1]


def test_an_english_sheet_says_the_reminders_wait_in_english(tmp_path):
    path = tmp_path / "b.xlsx"
    make_workbook(path, [late_customer(SATURDAY)], locale="en", team=TEAM)
    report = sync(path, SATURDAY, email=True, environ=MAIL_ON)
    assert outbox(path) == []
    assert any("is not a working day" in n and MONDAY.isoformat() in n for n in report.notes)


# --- a missed birthday greeting is missed, not cancelled --------------------------------------
WEDNESDAY = dt.date(2026, 11, 18)
TUESDAY = WEDNESDAY - dt.timedelta(days=1)


def task_rows(path: Path, customer_id: str) -> list[dict]:
    rows = sheet_rows(path, "任务记录")
    found = [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
    return [t for t in found if t["客户编号"] == customer_id]


def owner_rate(path: Path, owner: str = "张伟") -> object:
    """The 汇总 tab's 30-day on-time rate of `owner` (按负责人 table, last column)."""
    rows = sheet_rows(path, "汇总")
    title = next(i for i, r in enumerate(rows) if r and r[0] == "按负责人")
    header = rows[title + 1]
    row = next(r for r in rows[rows.index(header) + 1 :] if r and r[0] == owner)
    return row[len([h for h in header if h is not None]) - 1]


def test_a_birthday_not_greeted_is_missed_listed_once_and_counted(tmp_path):
    born = customer(
        "B1", customer="寿星公司", birthday=dt.date(1980, 11, 19), last_contact=WEDNESDAY
    )
    path = make_workbook(tmp_path / "b.xlsx", [born], team=TEAM)
    for day in range(18, 21):  # Wednesday to Friday: the greeting was due on Thursday the 19th
        sync(path, dt.date(2026, 11, day), email=True, environ=MAIL_ON)
    (care,) = [t for t in task_rows(path, "B1") if t["任务类型"] == "客户关怀"]
    assert care["任务状态"] == "已错过" and care["到期日期"].date() == dt.date(2026, 11, 19)
    friday = text_of(path, "digest-张伟-2026-11-20.eml")
    assert (
        "【错过的客户关怀/续约】(1)" in friday and "寿星公司(B1):客户关怀,应于 2026-11-19" in friday
    )
    html = read_mail(path, "digest-张伟-2026-11-20.eml").get_body(("html",)).get_content()
    assert "错过的客户关怀/续约" in html and "寿星公司" in html
    assert owner_rate(path) == 0  # 0%: one greeting due in the last 30 days, not done
    sync(path, MONDAY, email=True, environ=MAIL_ON)
    assert "错过的客户关怀" not in text_of(path, f"digest-张伟-{MONDAY.isoformat()}.eml")
    (care,) = [t for t in task_rows(path, "B1") if t["任务类型"] == "客户关怀"]
    assert care["任务状态"] == "已错过"  # still on record, never cancelled


# --- day one: what was overdue before the sync knew it -----------------------------------------
TWO_TEAMS = [
    *TEAM,
    ["王强", "wang.qiang@example.com", "", "经理"],
    ["赵敏", "zhao.min@example.com", "王强", "销售"],
]


def backlog_book(path: Path) -> Path:
    """23 B-grade customers (escalated after 3 days overdue) last called 10 to 32 days
    before the first sync: 张伟 10, 李娜 8 (陈静's team), 赵敏 5 (王强's)."""
    owners = ["张伟"] * 10 + ["李娜"] * 8 + ["赵敏"] * 5
    late = [
        customer(
            f"K{i:02d}",
            customer=f"老客户{i:02d}",
            owner=owner,
            last_contact=WEDNESDAY - dt.timedelta(days=10 + i),
        )
        for i, owner in enumerate(owners)
    ]
    return make_workbook(path, late, team=TWO_TEAMS)


def test_first_sync_sends_one_backlog_mail_per_manager_and_no_escalation(tmp_path):
    path = backlog_book(tmp_path / "b.xlsx")
    report = sync(path, WEDNESDAY, email=True, environ=MAIL_ON)
    day = WEDNESDAY.isoformat()
    assert outbox(path, "escalation") == []
    assert outbox(path, "backlog") == [f"backlog-王强-{day}.eml", f"backlog-陈静-{day}.eml"]
    chen = read_mail(path, f"backlog-陈静-{day}.eml")
    assert chen["To"] == "chen.jing@example.com" and "18 项跟进在同步前已逾期" in chen["Subject"]
    text = chen.get_body(("plain",)).get_content()
    assert "- 张伟:10 项" in text and "- 李娜:8 项" in text and "赵敏" not in text
    listed = [line for line in text.splitlines() if line.startswith("- [B]")]
    oldest = {f"(K{i:02d})" for i in range(8, 18)}  # 李娜's, 18 to 27 days before the sync
    assert len(listed) == 10 and {line.split("[B] ")[1][5:10] for line in listed} == oldest
    html = chen.get_body(("html",)).get_content()
    assert "按负责人" in html and "最早的 10 项" in html and "老客户17" in html
    wang = read_mail(path, f"backlog-王强-{day}.eml").get_body(("plain",)).get_content()
    assert "- 赵敏:5 项" in wang and "张伟" not in wang
    assert "邮件:5封写入发件箱" in report.notes[-1]  # three digests, two backlog mails, no more
    assert all(t["升级时间"] is None for t in task_rows_all(path))

    sync(path, WEDNESDAY + dt.timedelta(days=1), email=True, environ=MAIL_ON)  # Thursday
    sync(path, FRIDAY, email=True, environ=MAIL_ON)  # two days since the sync knew them
    assert outbox(path, "escalation") == [] and len(outbox(path, "backlog")) == 2  # once

    type_in_contact(path, "K00", FRIDAY)  # 张伟 calls one of his on Friday
    sync(path, MONDAY, email=True, environ=MAIL_ON)  # 3+ days overdue since the first sync
    names = outbox(path, "escalation")
    assert names == [f"escalation-王强-{MONDAY}.eml", f"escalation-陈静-{MONDAY}.eml"]
    text = text_of(path, f"escalation-陈静-{MONDAY}.eml")
    assert "老客户17" in text and "老客户00" not in text  # what was done is not escalated
    assert len([line for line in text.splitlines() if line.startswith("- [B]")]) == 17


def test_an_english_backlog_mail(tmp_path):
    path = tmp_path / "b.xlsx"
    late = [customer("K1", customer="Old Co", last_contact=WEDNESDAY - dt.timedelta(days=20))]
    make_workbook(path, late, locale="en", team=TEAM)
    sync(path, WEDNESDAY, email=True, environ=MAIL_ON)
    mail = read_mail(path, f"backlog-陈静-{WEDNESDAY}.eml")
    assert "first sync: 1 follow-up was overdue before it" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "- 张伟: 1" in text and "Old Co (K1)" in text and "The oldest 1" in text
    assert outbox(path, "escalation") == []


def test_an_english_backlog_of_several_says_follow_ups_were(tmp_path):
    path = tmp_path / "b.xlsx"
    late = [
        customer(f"K{i}", customer=f"Old Co {i}", last_contact=WEDNESDAY - dt.timedelta(days=20))
        for i in (1, 2)
    ]
    make_workbook(path, late, locale="en", team=TEAM)
    sync(path, WEDNESDAY, email=True, environ=MAIL_ON)
    subject = read_mail(path, f"backlog-陈静-{WEDNESDAY}.eml")["Subject"]
    assert "first sync: 2 follow-ups were overdue before it" in subject


# --- the backlog escalates after 逾期升级 workdays, not a weekend or a holiday ---------------
def escalations_on(path: Path, days: list[dt.date]) -> list[str]:
    for day in days:
        sync(path, day, email=True, environ=MAIL_ON)
    return outbox(path, "escalation")


def test_a_backlog_known_since_friday_escalates_on_wednesday_not_monday(tmp_path):
    """B: 逾期升级 3 days. First sync Friday: Monday is 1 workday since, Wednesday 3."""
    path = make_workbook(tmp_path / "b.xlsx", [late_customer(FRIDAY)], team=TEAM)
    sync(path, FRIDAY, email=True, environ=MAIL_ON)
    assert outbox(path, "backlog") == [f"backlog-陈静-{FRIDAY}.eml"]
    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    assert escalations_on(path, [MONDAY, tuesday]) == []
    assert escalations_on(path, [wednesday]) == [f"escalation-陈静-{wednesday}.eml"]
    assert "Z1的客户" in text_of(path, f"escalation-陈静-{wednesday}.eml")


def test_a_backlog_known_before_national_day_escalates_on_the_third_workday_after(tmp_path):
    """First sync Wed 30 Sep 2026; 1-7 Oct off; Thu 8, Fri 9, Sat 10 (调休) are 3 workdays."""
    first = dt.date(2026, 9, 30)
    path = make_workbook(tmp_path / "b.xlsx", [late_customer(first)], team=TEAM)
    sync(path, first, email=True, environ=MAIL_ON)
    assert escalations_on(path, [dt.date(2026, 10, 8), dt.date(2026, 10, 9)]) == []
    assert escalations_on(path, [MAKE_UP_SATURDAY]) == [f"escalation-陈静-{MAKE_UP_SATURDAY}.eml"]


def escalated_before(path: Path, customer_ids: set[str], when: dt.datetime) -> None:
    """What a version of the sync before the backlog mail wrote: 升级时间 of those tasks."""
    book = openpyxl.load_workbook(path)
    tab = book["任务记录"]
    header = {c.value: c.column for c in tab[1]}
    for row in range(2, tab.max_row + 1):
        if tab.cell(row, header["客户编号"]).value in customer_ids:
            tab.cell(row, header["升级时间"]).value = when
    book.save(path)


def test_the_backlog_mail_leaves_out_tasks_already_escalated(tmp_path):
    """Upgraded within 14 days of the first run: the earlier version escalated 张伟's and
    赵敏's tasks one by one; the backlog lists only 李娜's, and 王强 gets none."""
    path = backlog_book(tmp_path / "b.xlsx")
    sync(path, WEDNESDAY)  # the first run, by the earlier version (no backlog mail)
    escalated = {f"K{i:02d}" for i in [*range(10), *range(18, 23)]}
    escalated_before(path, escalated, dt.datetime(2026, 11, 18, 9, 0))
    thursday = WEDNESDAY + dt.timedelta(days=1)
    sync(path, thursday, email=True, environ=MAIL_ON)
    assert outbox(path, "backlog") == [f"backlog-陈静-{WEDNESDAY}.eml"]
    chen = read_mail(path, f"backlog-陈静-{WEDNESDAY}.eml")
    assert "8 项跟进在同步前已逾期" in chen["Subject"]
    text = chen.get_body(("plain",)).get_content()
    assert "- 李娜:8 项" in text and "张伟" not in text and "老客户00" not in text


def task_rows_all(path: Path) -> list[dict]:
    rows = sheet_rows(path, "任务记录")
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]


def type_in_contact(path: Path, customer_id: str, day: dt.date) -> None:
    from conftest import type_in

    type_in(path, customer_id, last_contact=day)


def test_a_renewal_past_its_contract_end_is_missed_a_renewed_one_and_a_moved_task_cancelled(
    tmp_path,
):
    ends = FRIDAY  # the renewal task is due at once: the contract ends within 30 days
    rows = [
        customer("R1", customer="到期公司", contract_end=ends, last_contact=TUESDAY),
        customer("R2", customer="续签公司", contract_end=ends, last_contact=TUESDAY),
        late_customer(WEDNESDAY, "F1"),  # an ordinary follow-up, overdue
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, WEDNESDAY)
    type_in_contact_fields(path, "R2", contract_end=dt.date(2027, 11, 20))  # renewed
    type_in_contact_fields(path, "F1", agreed_date=dt.date(2026, 11, 27))  # a call agreed
    sync(path, MONDAY, email=True, environ=MAIL_ON)
    state = {cid: [t["任务状态"] for t in task_rows(path, cid)] for cid in ("R1", "R2", "F1")}
    assert "已错过" in state["R1"] and "已取消" not in state["R1"]
    assert "已取消" in state["R2"] and "已错过" not in state["R2"]
    assert "已取消" in state["F1"] and "已错过" not in state["F1"]
    digest = text_of(path, f"digest-张伟-{MONDAY}.eml")
    assert "到期公司(R1):续约跟进" in digest and "续签公司(R2):续约" not in digest


def type_in_contact_fields(path: Path, customer_id: str, **values: object) -> None:
    from conftest import type_in

    type_in(path, customer_id, **values)

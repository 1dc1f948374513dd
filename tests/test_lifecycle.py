"""The playbooks' customer lifecycle (issue 24, items 1-3), on both backends: existing
customers kept by their class's plan, every default plan step scheduled and completed by a
matching contact over a month of syncs, and the after-sale revisits."""

import datetime as dt

import pytest
import test_both_backends as both
from conftest import (
    TODAY,
    customer,
    type_in,
)

from sheetsync.workbook.messages import simplified
from sheetsync.workbook.schema import FOLLOWUPS, TASK_LOG

D = dt.date
EPOCH = dt.date(1899, 12, 30)


class _TypeIn:
    def type_in(self, cid, **values):
        """As a person typing into the follow-up tab (`set` keeps a date as each backend
        does: a date cell, or a serial number shown as a date)."""
        title = FOLLOWUPS.title("zh")
        grid = self.grid(title)
        header = {h: i for i, h in enumerate(grid[0])}
        row = next(i for i, r in enumerate(grid) if r and r[0] == cid)
        for key, value in values.items():
            self.set(title, row + 1, header[FOLLOWUPS.column(key).zh] + 1, value)


class XlsxBook(both.XlsxBook):
    def type_in(self, cid, **values):
        """As a person typing a contact's values into the follow-up tab and saving once
        (one load and save of the file, not one per value)."""
        type_in(self.path, cid, **values)


class SheetsBook(_TypeIn, both.SheetsBook):
    pass


@pytest.fixture(params=["xlsx", "gsheets"])
def book(request, tmp_path):
    return {"xlsx": XlsxBook, "gsheets": SheetsBook}[request.param](tmp_path, request)


def task_log(book):
    """The task log's rows as dicts by column key, dates as dates."""
    grid = book.grid(TASK_LOG.title("zh"))
    keys = {c.zh: c.key for c in TASK_LOG.columns}
    header = [keys.get(h) for h in grid[0]]
    rows = []
    for row in grid[1:]:
        record = {k: v for k, v in zip(header, row, strict=False) if k}
        for key in ("due_date", "done_on"):
            value = record.get(key)
            if isinstance(value, float):
                record[key] = EPOCH + dt.timedelta(days=int(value))
            elif isinstance(value, dt.datetime):
                record[key] = value.date()
        rows.append({k: (None if v == "" else v) for k, v in record.items()})
    return rows


def method_for(task: str) -> str:
    """The 跟进方式 a rep records for the step a task names (what the playbook says to do)."""
    action = simplified(task.split(": ", 1)[-1])
    method = simplified(task.split(" ")[1]) if " " in task else ""
    for words, said in (
        (("满意度调研",), "问卷"),
        (("资料",), "邮件"),
        (("上门", "拜访", "互访"), "上门"),
        (("推送", "触达"), "推送"),
        (("电话",), "电话"),
    ):
        if any(w in action for w in words):
            return said
    return "上门" if "上门" in method else "电话"


EXISTING = {"customer_state": "合作中"}
CUSTOMERS = [
    customer("AL", budget="明确", intent="高", decision_cycle="20天"),  # lead, grade A
    customer("BL"),  # lead, grade B
    customer("CL", budget="未定", intent="低", decision_cycle="半年"),  # lead, grade C
    # existing customers, typed class: their first contacts long enough ago that the quarterly
    # and half-yearly steps fall due within the month
    customer(
        "EA",
        class_label="A类+高潜力+战略伙伴",
        method="上门",
        **EXISTING,
        last_contact=TODAY - dt.timedelta(days=85),
    ),
    customer(
        "EB",
        class_label="B类",
        method="电话",
        **EXISTING,
        last_contact=TODAY - dt.timedelta(days=175),
    ),
    customer(
        "EC", class_label="C", method="推送", **EXISTING, last_contact=TODAY - dt.timedelta(days=20)
    ),
]
PLANS = {  # the default plans' steps (config/grading.yaml, config/value_rules.yaml)
    "BL": {"每2-3天发送1次资料", "每周1次电话沟通需求变化"},
    "CL": {"每周推送1次行业动态/促销信息", "每月1次轻量触达"},
    "EA": {"每月1次上门拜访", "每季度高层互访"},
    "EB": {"每月1次电话回访", "每季度推送行业报告", "半年1次满意度调研"},
    "EC": {"每月1次轻量触达:推送行业资讯/新品"},
}


@pytest.mark.slow  # a month of daily syncs, contacts typed in between
def test_every_default_plan_step_is_scheduled_and_done_by_a_matching_contact(book):
    """A month of daily syncs; on each day a customer is due, the rep records a contact made
    the way the task's step says. Every step of every default plan is named by a task and
    completed; existing customers follow their class's plan, not the lead grade's."""
    book.make(CUSTOMERS)
    named: dict[str, set] = {cid: set() for cid in [*PLANS, "AL"]}
    first, day, end = None, TODAY, TODAY + dt.timedelta(days=36)
    while day <= end:
        book.sync(day)
        got = book.results()
        first = first or got
        contacted = False
        for cid, values in got.items():
            if values["status"] in ("今日跟进", "已逾期"):
                named[cid].add(values["task"].split(": ", 1)[-1].split(" 【")[0])
                book.type_in(
                    cid, last_contact=day, method=method_for(values["task"]), summary=f"{day} 跟进"
                )
                contacted |= cid != "AL"
        # on to the next day something falls due (the daily A lead is due on every one); the
        # day after a contact, for the date it leads to
        ahead = [v["next_date"] for c, v in got.items() if c != "AL" and v["next_date"] > day]
        day = day + dt.timedelta(days=1) if contacted else min([*ahead, end + dt.timedelta(days=1)])
    book.sync(end + dt.timedelta(days=1))
    # day one: the existing A customer's monthly visit is due (85 days since the last one),
    # not the weekly lead plan its empty row would grade it by
    assert "上门拜访" in first["EA"]["task"] and first["EA"]["status"] == "已逾期"
    done: dict[str, set] = {cid: set() for cid in PLANS}
    tasks = task_log(book)
    for task in tasks:
        if task["state"] == "已完成" and task.get("step"):
            done[task["customer_id"]].add(task["step"])
    assert done == PLANS
    # A's plan is one step (跟进间隔 1 day): every task done, none for a step
    daily = [t for t in tasks if t["customer_id"] == "AL"]
    assert len(daily) > 10 and all(t["state"] == "已完成" for t in daily[:-1])
    actions = {
        "BL": {"发送资料", "电话沟通需求变化"},
        "CL": {"推送行业动态/促销信息", "轻量触达"},
        "EA": {"上门拜访", "高层互访"},
        "EB": {"电话回访", "推送行业报告", "满意度调研"},
    }
    for cid, wanted in actions.items():
        assert wanted <= named[cid], cid  # the task named each step when it was due


def test_a_deal_won_gets_revisits_after_a_week_a_month_and_a_quarter_then_maintenance(book):
    book.make([customer("W1", stage="商务谈判", last_contact=D(2026, 11, 17), method="电话")])
    book.sync(TODAY)
    book.type_in("W1", stage="成交")  # signed on 11-19: the sync sees it that day
    book.sync(D(2026, 11, 19))
    got = book.results()["W1"]
    assert got["next_date"] == D(2026, 11, 26) and "成交回访:使用情况、上线问题" in got["task"]
    book.type_in("W1", last_contact=D(2026, 11, 26), method="电话", summary="回访")
    book.sync(D(2026, 11, 27))
    got = book.results()["W1"]  # a month after: 12-19 is a Saturday
    assert got["next_date"] == D(2026, 12, 21) and "满意度与新需求" in got["task"]
    book.type_in("W1", last_contact=D(2026, 12, 21), method="电话", summary="回访2")
    book.sync(D(2026, 12, 22))
    got = book.results()["W1"]  # a quarter after the deal
    assert got["next_date"] == D(2027, 2, 17) and "复盘效果" in got["task"]
    book.type_in("W1", last_contact=D(2027, 2, 17), method="上门", summary="季度回访")
    book.sync(D(2027, 2, 18))
    got = book.results()["W1"]  # then the class's plan: no class yet, C's monthly touch
    assert got["next_date"] == D(2027, 3, 19) and "轻量触达" in got["task"]
    revisits = [t for t in task_log(book) if t.get("step") in ("一周后", "一个月后", "一个季度后")]
    assert [(t["step"], t["state"], t["done_on"]) for t in revisits] == [
        ("一周后", "已完成", D(2026, 11, 26)),
        ("一个月后", "已完成", D(2026, 12, 21)),
        ("一个季度后", "已完成", D(2027, 2, 17)),
    ]


def test_a_typed_class_counts_and_a_computed_one_that_differs_is_said(book):
    """Figures that make the customer an A; the person typed B: B's plan, and one line in
    校验提示. Cleared, the computed A counts."""
    figures = {"annual_amount": 2000000, "margin": "35%", "renewal_rate": "95%", **EXISTING}
    book.make(
        [
            customer("T1", class_label="B類", method="电话", **figures),
            customer("T2", class_label="战略客户", **EXISTING),
            customer("T3", customer_state="观望中"),
        ]
    )
    book.sync(TODAY)
    got = book.results()
    assert "B类" in got["T1"]["check"] and "A类" in got["T1"]["check"]
    assert "电话回访" in got["T1"]["task"]  # B's monthly call, not A's visit
    assert got["T1"]["next_date"] == D(2026, 12, 17)
    assert '"战略客户"读不出客户分类' in got["T2"]["check"]
    assert "轻量触达" in got["T2"]["task"]  # the lowest class's plan: nothing is guessed
    assert '"观望中"不是已知的合作状态' in got["T3"]["check"]
    book.type_in("T1", class_label=None)
    book.sync(TODAY + dt.timedelta(days=1))
    got = book.results()["T1"]
    assert not got["check"] and "上门拜访" in got["task"]

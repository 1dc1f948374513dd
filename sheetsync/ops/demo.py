"""A realistic demo team and ~40 customers, dated relative to `today` so every grade, status
and stage shows up whenever the demo is run, plus a few rows with the mistakes people make.
"""

from __future__ import annotations

import datetime as dt
import random

from sheetsync.workbook.schema import FOLLOWUPS
from sheetsync.workbook.schema import TEAM as TEAM_TAB
from sheetsync.workbook.terms import FUNNEL_STAGES

MANAGER = "陈静"
FIRST_SEEN = 60  # days before today the demo's stage history begins
VALUED_EARLY = 0.25  # the share of early-stage customers that get value data too
PASSED, NO_DATE = 1, 3  # the open deals (in order) whose close date has passed / is missing
OWNERS = ("张伟", "李娜", "王强")
TEAM = [
    [MANAGER, "chen.jing@example.com", "", "经理"],
    ["张伟", "zhang.wei@example.com", MANAGER, "销售"],
    ["李娜", "li.na@example.com", MANAGER, "销售"],
    ["王强", "wang.qiang@example.com", MANAGER, "销售"],
]
_COMPANIES = (
    "华辰科技有限公司",
    "远航物流集团",
    "青禾食品股份",
    "博睿教育咨询",
    "安泰医疗器械",
    "星河智能制造",
    "嘉联电子",
    "润丰农业",
    "中科云链",
    "明德律师事务所",
    "鼎盛建设工程",
    "悦家家居",
    "海纳新能源",
    "蓝鲸数据服务",
    "恒信财务咨询",
    "金桥汽车配件",
    "启明软件",
    "天衡检测",
    "瑞康药业",
    "锦程旅游",
    "华美印刷",
    "同舟保险代理",
    "绿源环保",
    "北辰仪器",
    "万象零售连锁",
    "新元文化传媒",
    "东方精工",
    "云帆跨境电商",
    "百川水务",
    "盛世会展服务",
    "雅居物业管理",
    "卓越人力资源",
    "飞鸿通信设备",
    "康宁养老服务",
    "长风航空服务",
)
_INDUSTRIES = ("制造", "物流", "食品", "教育", "医疗", "软件", "零售", "能源", "金融服务")
_CONTACTS = ("刘经理", "赵总", "孙主管", "周总监", "吴经理", "郑采购", "冯总", "陈工")
_SOURCES = ("展会", "官网咨询", "老客户转介绍", "电话营销", "行业协会")
# (budget, intent, decision cycle) choices that make a lead A, B or C under the default rules.
_PROFILES = (
    (("明确",), ("高",), ("20天", "2周", "≤1个月", "1个月")),
    (("初步确认", "明确"), ("中", "高"), ("1-3个月", "6 weeks", "45")),
    (("未定", "初步确认"), ("低", "中"), (">3个月", "1-3个月", "半年")),
)
_METHODS = ("电话", "面谈", "微信", "邮件")
_SUMMARIES = (
    "介绍产品方案",
    "确认采购需求",
    "演示系统功能",
    "报价沟通",
    "合同条款确认",
    "季度回访",
)
_FEEDBACK = ("希望看到同行案例", "预算下季度批复", "关注售后服务", "需要内部评估", "对价格敏感", "")


def _row(rng: random.Random, number: int, company: str, today: dt.date) -> dict:
    budgets, intents, cycles = _PROFILES[rng.choice((0, 1, 1, 2, 2))]
    last = today - dt.timedelta(days=rng.choice((0, 1, 1, 2, 3, 3, 4, 6, 7, 9, 12, 20)))
    return {
        "customer_id": f"KH-{number:04d}",
        "customer": company,
        "industry": rng.choice(_INDUSTRIES),
        "contact": rng.choice(_CONTACTS),
        "phone": f"13{rng.randrange(10**8, 10**9)}",
        "lead_source": rng.choice(_SOURCES),
        "stage": rng.choice(FUNNEL_STAGES).zh,
        "intent": rng.choice(intents),
        "budget": rng.choice(budgets),
        "decision_cycle": rng.choice(cycles),
        "last_contact": last,
        "method": rng.choice(_METHODS),
        "summary": rng.choice(_SUMMARIES),
        "feedback": rng.choice(_FEEDBACK),
        "owner": OWNERS[number % 3],
    }


def _special_cases(rows: list[dict], today: dt.date) -> None:
    """Mistakes and states a real sheet has, so the demo shows how each is handled."""
    day = dt.timedelta(days=1)
    rows[0].update(last_contact=None, summary="", feedback="", stage="线索获取")  # new lead
    rows[1].update(agreed_date=today + 5 * day, summary="约好下周演示")
    rows[2].update(paused_until="是", notes="客户内部重组,暂停跟进")
    rows[3].update(paused_until=today + 14 * day, notes="客户春节后再谈")
    rows[4].update(paused_until=today - 3 * day)  # a pause that has ended
    rows[5].update(grade_override="A", notes="战略客户,经理指定A级")
    rows[6].update(last_contact="2024-13-01")  # impossible date
    rows[7].update(owner="")  # missing owner
    rows[8].update(customer_id=rows[9]["customer_id"])  # duplicate id
    rows[10].update(owner="赵六")  # not in the team tab
    rows[11].update(budget="")  # missing budget: graded as 未定, with a warning
    rows[12].update(last_contact=today - 40 * day, stage="商务谈判")  # long overdue
    rows[13].update(contract_end=today + 20 * day, stage="成交维护")
    rows[14].update(birthday=f"{(today + 3 * day).month}月{(today + 3 * day).day}日")
    rows[15].update(last_contact=f"{(today - 2 * day):%Y年%-m月%-d日}")  # written by hand


def _value_data(rng: random.Random, rows: list[dict], today: dt.date) -> None:
    """Amounts, margins, renewal, history and potential for the customers who buy already
    (won, contract stage) and some in late stages, so every value class shows up."""
    day = dt.timedelta(days=1)
    for row in rows:
        if row["stage"] not in ("成交维护", "合同签署", "商务谈判") and rng.random() > VALUED_EARLY:
            continue
        amount = rng.choice((80, 150, 300, 450, 800, 1200, 2500)) * 10_000
        row.update(
            annual_amount=amount,
            margin=f"{rng.choice((8, 12, 18, 25, 32, 40))}%",
            renewal_rate=f"{rng.choice((50, 65, 75, 85, 92, 98))}%",
            since=today - rng.choice((60, 200, 400, 800, 1200, 1500)) * day,
            product_lines=rng.choice((1, 1, 2, 3)),
            potential=rng.choice(("高", "中", "低")),
            purchase_previous=amount // 4,
            purchase_current=amount // 4 * rng.choice((6, 9, 10, 12)) // 10,
        )
    rows[16].update(last_contact=today - 200 * day, stage="成交维护", notes="半年多没联系上")
    rows[17].update(feedback="连续三次电话未接通", stage="成交维护")


def _forecast_data(rng: random.Random, rows: list[dict], today: dt.date) -> None:
    """预计金额 and 预计成交日期 for open deals from 需求确认 on (one with a date that has
    passed, one without a date), one lost deal with its reason and one in the nurture pool,
    so the summary's forecast and outcome tables show up."""
    ahead = ("需求确认", "方案展示", "商务谈判", "合同签署")
    for i, row in enumerate(r for r in rows if r["stage"] in ahead):
        close = today + dt.timedelta(days=rng.choice((7, 20, 35, 50, 70, 95)))
        row.update(
            expected_amount=rng.choice((30, 60, 120, 200, 350)) * 10_000,
            expected_close=None
            if i == NO_DATE
            else today - dt.timedelta(days=5)
            if i == PASSED
            else close,
        )
    rows[18].update(stage="输单", lost_reason="预算被砍,选了竞品")
    rows[19].update(stage="培育池", notes="明年预算周期再谈")
    for i, reason in ((26, "价格偏高"), (33, "价格偏高"), (36, None)):  # 汇总's lost reasons
        rows[i].update(stage="输单", lost_reason=reason, expected_amount=60 * 10_000)
    for i, amount in ((20, 120), (21, 80)):  # deals won lately: 汇总's won revenue
        rows[i].update(stage="成交维护", expected_amount=amount * 10_000)


def demo_customers(today: dt.date, seed: int = 7) -> list[list]:
    rng = random.Random(seed)
    rows = [_row(rng, i + 1, c, today) for i, c in enumerate(_COMPANIES + _COMPANIES[:5])]
    for i, row in enumerate(rows[len(_COMPANIES) :]):
        row["customer"] = (
            f"{row['customer'].removesuffix('有限公司')}({['华东', '华南', '华北', '西南', '东北'][i]}分公司)"
        )
    _special_cases(rows, today)
    _value_data(rng, rows, today)
    _forecast_data(rng, rows, today)
    keys = [c.key for c in FOLLOWUPS.columns]  # the order new_workbook takes
    return [[row.get(k) for k in keys] for row in rows]


def demo_history(customers: list[list], today: dt.date, seed: int = 7) -> list[list]:
    """When each demo deal entered its stage, as if the sync had been running for weeks:
    some deals are past their stage's expected days; a lost or won deal was at an earlier
    stage of the ladder before (where it was lost, what it was won from)."""
    rng = random.Random(seed)
    keys = [c.key for c in FOLLOWUPS.columns]
    ladder = [t.zh for t in FUNNEL_STAGES[1:-1]]
    rows = []
    for values in customers:
        row = dict(zip(keys, values, strict=True))
        if row["stage"]:
            days = rng.choice((1, 2, 4, 6, 9, 12, 16, 25, 35, 50))
            if row["stage"] == "成交维护" and not row.get("expected_amount"):
                days = FIRST_SEEN  # a customer already when the sync began: won before it
            if row["stage"] in ("输单", "成交维护") and row.get("expected_amount"):
                before = today - dt.timedelta(days=days + rng.choice((10, 20, 30)))
                rows.append([row["customer_id"], rng.choice(ladder), before])
            rows.append([row["customer_id"], row["stage"], today - dt.timedelta(days=days)])
    return rows


def demo_content(today: dt.date) -> tuple[list[list], list[list], list[list]]:
    """Team, customers and stage history for `new_workbook`."""
    customers = demo_customers(today)
    goals = {"张伟": 2_000_000, "李娜": 1_500_000, "王强": 1_000_000}  # 团队's 目标
    levels = {MANAGER: "销售经理", "张伟": "资深销售", "李娜": "中级销售", "王强": "初级销售"}
    keys = [c.key for c in TEAM_TAB.columns]  # by header, wherever the optional columns stand
    team = []
    for owner, email, manager, role in TEAM:
        member: dict[str, object] = {
            "owner": owner,
            "email": email,
            "manager": manager,
            "role": role,
        }
        member |= {"level": levels.get(owner), "goal": goals.get(owner)}
        team.append([member.get(k) for k in keys])
    return team, customers, demo_history(customers, today)

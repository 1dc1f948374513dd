"""Owner fit (issue 24, item 4): a customer whose grade or class asks for more than its
owner's 职级 is listed in the summary, never a row error; a title the level order does not
know is named in the sync log. Real .xlsx workbooks through the real sync."""

import openpyxl
import pytest
from conftest import TODAY, customer, make_workbook, results, sheet_rows, summary_section, sync

from sheetsync.rules.owner_fit import level_of, requirement

A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}
C = {"budget": "未定", "intent": "低", "decision_cycle": "6个月"}
FULL = {"annual_amount": 1_000_000, "margin": "30%", "renewal_rate": "90%"}  # class A
TEAM = [  # 负责人, 邮箱, 上级, 角色, 通知渠道, 手机, 飞书ID, 职级
    ["陈静", "chen.jing@example.com", "", "经理", None, None, None, "销售经理"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售", None, None, None, "客户经理"],
    ["李娜", "li.na@example.com", "陈静", "销售", None, None, None, "初级销售"],
    ["王强", "wang.qiang@example.com", "陈静", "销售", None, None, None, "销售助理"],
    ["赵六", "zhao.liu@example.com", "陈静", "销售", None, None, None, "实习生"],
    ["孙七", "sun.qi@example.com", "陈静", "销售", None, None, None, None],
]


def _ask(path, grades: dict[str, str], classes: dict[str, str], hant: bool = False) -> None:
    """A 负责人要求 column in 分级标准 (as the playbook prints it) and in 价值分级's
    成交维护策略 block, typed in by the manager."""
    book = openpyxl.load_workbook(path)
    grading = book["分級標準" if hant else "分级标准"]
    column = grading.max_column + 1
    grading.cell(1, column).value = "负责人要求"
    for row in range(2, grading.max_row + 1):
        grading.cell(row, column).value = grades.get(grading.cell(row, 1).value)
    rules = book["價值分級" if hant else "价值分级"]
    block = "成交維護策略" if hant else "成交维护策略"
    title = next(r for r in range(1, rules.max_row + 1) if rules.cell(r, 1).value == block)
    column = 1 + max(c for c in range(1, 10) if rules.cell(title + 1, c).value)
    rules.cell(title + 1, column).value = "负责人要求"
    row = title + 2
    while rules.cell(row, 1).value:
        rules.cell(row, column).value = classes.get(rules.cell(row, 1).value)
        row += 1
    book.save(path)


def _customers():
    return [
        customer("G1", owner="李娜", **A),  # A asks 资深销售/客户经理: 初级销售 is below
        customer("G2", owner="张伟", **A),  # 客户经理 meets it
        customer("G3", owner="王强"),  # B asks 销售: 销售助理 is below
        customer("G4", owner="王强", **C, **FULL),  # C asks nothing, class A asks 资深销售
        customer("G5", owner="赵六", **A),  # 实习生: not on the ladder, named, not checked
        customer("G6", owner="孙七", **A),  # no 职级: not checked
        customer("G7", owner="李娜", stage="输单", lost_reason="预算取消", **A),  # lost: none
        customer("G8", owner="陈静", **C, **FULL),  # 销售经理 is above 资深销售
    ]


def test_customers_asking_more_than_their_owner_are_listed_not_flagged(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", _customers(), team=TEAM)
    _ask(path, {"A": "资深销售/客户经理", "B": "销售", "C": "销售助理"}, {"A": "资深销售及以上"})
    sync(path)
    assert [r[:7] for r in summary_section(path, "负责人职级不匹配")] == [
        ("李娜", "初级销售", "G1", "G1科技有限公司", "A", None, "资深销售/客户经理"),
        ("王强", "销售助理", "G3", "G3科技有限公司", "B", None, "销售"),
        ("王强", "销售助理", "G4", "G4科技有限公司", "C", "A", "资深销售及以上"),
    ]
    got = results(path)
    assert all(got[i]["status"] != "资料不全" for i in ("G1", "G3", "G4"))  # not a row error
    assert all("职级" not in (got[i]["check"] or "") for i in got)
    notes = [r[-1] for r in sheet_rows(path, "同步日志")[1:]]
    assert any("实习生" in (n or "") and "不在职级顺序中" in (n or "") for n in notes)


def test_no_requirement_or_no_level_lists_nobody(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", _customers())  # demo team: no 职级 column
    _ask(path, {"A": "资深销售/客户经理"}, {})
    sync(path)
    titles = [r[0] for r in sheet_rows(path, "汇总") if r]
    assert "负责人职级不匹配" not in titles


def test_traditional_workbook_and_an_unknown_requirement(tmp_path):
    team = [[*r[:7], {"初级销售": "初級銷售"}.get(r[7], r[7])] for r in TEAM]
    path = make_workbook(tmp_path / "b.xlsx", _customers(), locale="zh-Hant", team=team)
    _ask(path, {"A": "資深銷售/客戶經理", "B": "金牌销售"}, {}, hant=True)
    sync(path)
    rows = summary_section(path, "負責人職級不匹配", sheet="彙總")
    assert [r[:3] for r in rows] == [("李娜", "初級銷售", "G1")]
    notes = " ".join(r[-1] or "" for r in sheet_rows(path, "同步日誌")[1:])
    assert "金牌销售" in notes  # named as typed, not guessed


@pytest.mark.parametrize(
    "text, rung, unknown",
    [
        ("资深销售/客户经理", 3, []),
        ("資深銷售/客戶經理", 3, []),
        ("资深销售及以上", 3, []),
        ("Senior sales or above", 3, []),
        ("销售", 1, []),
        ("中级销售、客户经理", 2, []),
        ("销售助理", 0, []),
        ("金牌销售/资深销售", 3, ["金牌销售"]),
        ("金牌销售", None, ["金牌销售"]),
    ],
)
def test_requirements_read_on_the_one_ladder(text, rung, unknown):
    assert requirement(text) == (rung, unknown)


def test_ladder_order():
    order = ["销售助理", "初级销售", "中级销售", "资深销售", "销售经理"]
    assert [level_of(t) for t in order] == [0, 1, 2, 3, 4]
    assert level_of("客户经理") == level_of("资深销售") and level_of("实习生") is None
    assert TODAY  # the sync runs on conftest's day

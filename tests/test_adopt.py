"""`adopt` on sheets built as the playbooks print them: first the plan with nothing written,
then --apply, then two syncs on consecutive days. Nothing people typed is lost or changed."""

import dataclasses
import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import KEY, gsheets_settings
from test_grading import PLAYBOOK_GRADING

from sheetsync.backends.gsheets import GSheetsBackend
from sheetsync.config import load_settings
from sheetsync.errors import WorkbookError
from sheetsync.ops import app
from sheetsync.ops.cli import main
from sheetsync.workbook.changes import Changeset
from sheetsync.workbook.messages import simplified
from sheetsync.workbook.parsing import EXCEL_EPOCH

D = dt.datetime
DAY0 = dt.date(2026, 11, 18)

FOLLOWUP_PLAYBOOK = {
    "客户跟进记录表": [
        [
            "客户编号",
            "客户名称",
            "行业",
            "联系人及职务",
            "上次跟进日期",
            "下次跟进日期",
            "跟进方式",
            "跟进内容摘要",
            "客户反馈/需求变化",
            "负责人",
            "状态",
            "备注",
        ],
        [
            "KH001",
            "华辰科技",
            "制造业",
            "王总/采购总监",
            D(2026, 11, 16),
            D(2026, 11, 25),
            "电话",
            "介绍方案",
            "预算明确,下月决策",
            "张伟",
            "待跟进",
            "重点客户",
        ],
        [
            "KH002",
            "远航物流",
            "物流",
            "李经理/运营",
            D(2026, 11, 10),
            None,
            "微信",
            "发送案例",
            "需求在评估",
            "李娜",
            "已完成",
            None,
        ],
        [
            "KH003",
            "青禾教育",
            "教育",
            "赵老师/校长",
            D(2026, 11, 2),
            D(2026, 11, 30),
            "面谈",
            "演示产品",
            "意向模糊",
            "张伟",
            "跟进中",
            None,
        ],
    ],
    "客户分级标准与跟进策略表": PLAYBOOK_GRADING,  # the grading table as the playbook prints it
}
CHECKLIST = {
    "客户关系分类及维护清单": [
        [
            "客户编号",
            "客户名称",
            "客户分类",
            "维护责任人",
            "上次跟进时间",
            "下次跟进时间",
            "当前状态",
            "备注",
        ],
        [
            "R01",
            "东方制药",
            "战略客户",
            "王芳",
            D(2026, 11, 12),
            D(2026, 11, 26),
            "维护中",
            "年框合同",
        ],
        ["R02", "北辰能源", "一般客户", "刘强", D(2026, 10, 20), None, "待回访", None],
    ],
}


class Xlsx:
    def __init__(self, tmp_path, request):
        self.path = tmp_path / "team.xlsx"
        self.settings = load_settings(environ={}, workbook=str(self.path))

    def build(self, tables):
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, rows in tables.items():
            sheet = wb.create_sheet(title)
            for row in rows:
                sheet.append(row)
        wb.save(self.path)

    def grid(self, title):
        ws = openpyxl.load_workbook(self.path)[title]
        return [list(r) for r in ws.iter_rows(values_only=True)]

    def fingerprint(self):
        return self.path.read_bytes()


class Sheets:
    def __init__(self, tmp_path, request):
        self.api = request.getfixturevalue("sheets_api")
        account = request.getfixturevalue("service_account")
        self.settings = load_settings(
            environ={}, workbook=KEY, **gsheets_settings(self.api, account)
        )
        self.account = account

    def build(self, tables):
        self.api.create(KEY)
        backend = GSheetsBackend(KEY, str(self.account), self.api.url)
        backend.read()
        backend.write(Changeset(replace={t: [list(r) for r in rows] for t, rows in tables.items()}))

    def grid(self, title):
        """Dates as datetimes again (the fake keeps serial numbers), blanks as None."""

        def cell(value, header):
            if value == "":
                return None
            named = simplified(str(header))  # 上次跟進時間 too
            if isinstance(value, float) and ("日期" in named or "时间" in named):
                return D.combine(EXCEL_EPOCH + dt.timedelta(days=int(value)), dt.time())
            return value

        rows = self.api.books[KEY].by_title(title).grid()
        return [[cell(v, rows[0][i]) for i, v in enumerate(r)] for r in rows]

    def fingerprint(self):
        return self.api.count("batchUpdate")


@pytest.fixture(params=["xlsx", "gsheets"])
def book(request, tmp_path):
    return {"xlsx": Xlsx, "gsheets": Sheets}[request.param](tmp_path, request)


def _people_cells(rows):
    """Every cell people typed, by (customer id, original header): value and type."""
    header = rows[0]
    return {
        (r[0], header[i]): (v, type(v)) for r in rows[1:] for i, v in enumerate(r) if v is not None
    }


def _by_header(grid, renamed):
    header = grid[0]
    out = {}
    for row in grid[1:]:
        for original, now in renamed.items():
            value = row[header.index(now)] if header.index(now) < len(row) else None
            if value is not None:
                out[(row[0], original)] = (value, type(value))
    return out


def test_the_plan_maps_the_playbook_table_and_writes_nothing(book):
    book.build(FOLLOWUP_PLAYBOOK)
    before = book.fingerprint()
    plan, report = app.run_adopt(book.settings, apply=False, today=DAY0)
    assert report is None and book.fingerprint() == before
    by_header = {c.header: c for c in plan.columns}
    assert by_header["下次跟进日期"].action == "rename"
    assert by_header["下次跟进日期"].new_header == "约定跟进日期"
    assert by_header["状态"].new_header == "状态(手填)" and by_header["状态"].filled == 3
    assert by_header["负责人"].key == "owner" and by_header["备注"].action == "read"
    assert plan.tabs["grading"] == "客户分级标准与跟进策略表"
    assert plan.rules[0].startswith("A:") and "每1天" in plan.rules[0] and "每3天" in plan.rules[1]
    assert any('KH002 状态: "" -> "已逾期"' in c for c in plan.cells)  # every cell, listed


def test_apply_then_two_syncs_keep_every_typed_value_and_the_typed_next_date(book):
    book.build(FOLLOWUP_PLAYBOOK)
    typed = _people_cells(FOLLOWUP_PLAYBOOK["客户跟进记录表"])
    app.run_adopt(book.settings, apply=True, today=DAY0)
    for day in (DAY0 + dt.timedelta(days=1), DAY0 + dt.timedelta(days=2)):
        app.run_sync(book.settings, day, email=False)
    grid = book.grid("客户跟进记录表")
    header = grid[0]
    renamed = {h: h for h in FOLLOWUP_PLAYBOOK["客户跟进记录表"][0]}
    renamed.update({"下次跟进日期": "约定跟进日期", "状态": "状态(手填)"})
    assert _by_header(grid, renamed) == typed  # value and type, every cell people typed
    row = {r[0]: r for r in grid[1:]}
    next_date = header.index("下次跟进日期")
    assert row["KH001"][next_date].date() == dt.date(2026, 11, 25)  # the typed date stands
    assert row["KH003"][next_date].date() == dt.date(2026, 11, 30)
    assert row["KH002"][header.index("状态")] == "已逾期"  # the sync's own 状态 column
    assert row["KH002"][header.index("状态(手填)")] == "已完成"  # people's, untouched


def test_the_relationship_checklist_is_adopted_with_its_own_headers(book):
    book.build(CHECKLIST)
    typed = _people_cells(CHECKLIST["客户关系分类及维护清单"])
    plan, _ = app.run_adopt(book.settings, apply=True, today=DAY0)
    assert {c.header: c.key for c in plan.columns}["维护责任人"] == "owner"
    for day in (DAY0 + dt.timedelta(days=1), DAY0 + dt.timedelta(days=2)):
        app.run_sync(book.settings, day, email=False)
    grid = book.grid("客户关系分类及维护清单")
    renamed = {h: h for h in CHECKLIST["客户关系分类及维护清单"][0]}
    renamed.update(
        {"客户分类": "客户分类(手填)", "下次跟进时间": "约定跟进日期", "当前状态": "当前状态(手填)"}
    )
    assert _by_header(grid, renamed) == typed
    row = {r[0]: r for r in grid[1:]}
    assert row["R01"][grid[0].index("下次跟进日期")].date() == dt.date(2026, 11, 26)
    assert row["R01"][grid[0].index("客户分类(手填)")] == "战略客户"


def test_a_traditional_character_sheet_is_adopted_and_answered_in_traditional(tmp_path):
    path = tmp_path / "tw.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客戶跟進記錄表"
    ws.append(["客戶編號", "客戶名稱", "負責人", "上次跟進日期", "意向度", "預算情況", "決策週期"])
    ws.append(["T1", "台北精機", "陳怡君", D(2026, 11, 17), "高", "明確", "20天"])
    ws.append(["T2", "高雄海運", None, D(2026, 11, 17), "中", "初步確認", "2個月"])
    wb.save(path)
    result = CliRunner().invoke(
        main,
        ["adopt", "--workbook", str(path), "--today", "2026-11-18", "--apply"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "已採用" in result.output and "分級規則" in result.output  # the plan, in traditional
    assert "讀取2行,1行無效" in result.output  # then the first sync's report (not every cell)
    grid = [
        list(r) for r in openpyxl.load_workbook(path)["客戶跟進記錄表"].iter_rows(values_only=True)
    ]
    header = grid[0]
    assert "客戶等級" in header and "校驗提示" in header and "狀態" in header
    rows = {r[0]: r for r in grid[1:]}
    assert (
        rows["T1"][header.index("客戶等級")] == "A"
        and rows["T2"][header.index("狀態")] == "資料不全"
    )
    assert "負責人: 為空(必填)" in rows["T2"][header.index("校驗提示")]


def test_a_look_alike_header_stops_adopt_naming_it_and_nothing_is_written(tmp_path):
    path = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户跟进"
    ws.append(["客户编号", "客户名称", "负责人", "最近跟进日期"])
    ws.append(["K1", "甲公司", "张伟", D(2026, 11, 17)])
    wb.save(path)
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["adopt", "--workbook", str(path), "--apply"])
    assert result.exit_code == 1
    assert "上次跟进日期" in result.output and "最近跟进日期" in result.output
    assert path.read_bytes() == before
    dry = CliRunner().invoke(main, ["adopt", "--workbook", str(path)])
    assert dry.exit_code == 1 and "无法采用" in dry.output and path.read_bytes() == before


def test_apply_is_one_write_so_a_failed_save_leaves_the_sheet_as_it_was(tmp_path, monkeypatch):
    """--apply computes the first sync on the sheet as adopted and writes the renamed headers,
    the new tabs and the first sync's cells together: a save that fails (a full disk) leaves
    no half-adopted sheet (headers renamed, no sync columns) behind."""
    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.errors import BackendError

    book = Xlsx(tmp_path, None)
    book.build(FOLLOWUP_PLAYBOOK)
    before = book.fingerprint()
    writes, write = [], XlsxBackend.write

    def full_disk_for_the_sync(self, changes):
        writes.append(sorted(changes.replace))
        if "任务记录" in changes.replace:  # the first sync's part of the writing
            raise BackendError("cannot save team.xlsx: No space left on device")
        return write(self, changes)

    monkeypatch.setattr(XlsxBackend, "write", full_disk_for_the_sync)
    with pytest.raises(BackendError, match="No space left"):
        app.run_adopt(book.settings, apply=True, today=DAY0)
    assert book.fingerprint() == before and len(writes) == 1
    assert "团队" in writes[0] and "任务记录" in writes[0]  # the new tab and the sync's, at once

    monkeypatch.setattr(XlsxBackend, "write", write)
    plan, report = app.run_adopt(book.settings, apply=True, today=DAY0)
    assert plan.applied and report.cells > 0
    assert "状态(手填)" in book.grid("客户跟进记录表")[0]


def test_a_team_tab_people_keep_is_never_replaced_by_the_one_adopt_adds(tmp_path):
    """The settings name the team tab 成员, which the sheet lacks; its 团队 tab holds the
    emails people typed. adopt would add a 团队 tab: it stops and says why instead of
    replacing theirs."""
    book = Xlsx(tmp_path, None)
    team = [["负责人", "邮箱", "上级"], ["张伟", "zhangwei@example.com", "陈静"]]
    book.build({**FOLLOWUP_PLAYBOOK, "团队": team})
    before = book.fingerprint()
    settings = dataclasses.replace(book.settings, tabs={"team": "成员"})
    with pytest.raises(WorkbookError, match='"团队".*"成员".*不会覆盖'):
        app.run_adopt(settings, apply=True, today=DAY0)
    assert book.fingerprint() == before
    plan, _ = app.run_adopt(settings, apply=False, today=DAY0)
    assert not plan.ok and "团队" not in plan.new_tabs


def test_a_tab_people_keep_under_a_name_the_sync_writes_whole_stops_adopt(tmp_path):
    """A never-synced sheet with its own 汇总 (monthly totals typed by hand): the first sync
    would rewrite it whole. adopt names it and stops, plan and --apply alike, nothing
    written; renamed, it is kept as it is."""
    book = Xlsx(tmp_path, None)
    totals = [["月份", "签约额"], ["2026-10", 1200000]]
    book.build({**FOLLOWUP_PLAYBOOK, "汇总": totals})
    before = book.fingerprint()
    plan, _ = app.run_adopt(book.settings, apply=False, today=DAY0)
    assert not plan.ok and any('"汇总"' in p and "不会覆盖" in p for p in plan.problems)
    with pytest.raises(WorkbookError, match='"汇总".*不会覆盖'):
        app.run_adopt(book.settings, apply=True, today=DAY0)
    assert book.fingerprint() == before

    book.build({**FOLLOWUP_PLAYBOOK, "月度汇总": totals})
    plan, report = app.run_adopt(book.settings, apply=True, today=DAY0)
    assert plan.applied and book.grid("月度汇总") == totals
    assert book.grid("汇总")[0]  # the sync's own summary beside it


def test_a_customer_list_in_a_tab_titled_like_the_summary_is_never_written_over(tmp_path):
    """The team keeps its customers in a tab titled 汇总 (the sync's summary's name): the
    summary would be written whole over them. adopt and sync stop and say why instead."""
    book = Xlsx(tmp_path, None)
    book.build({"汇总": FOLLOWUP_PLAYBOOK["客户跟进记录表"], "分级标准": PLAYBOOK_GRADING})
    before = book.fingerprint()
    plan, _ = app.run_adopt(book.settings, apply=False, today=DAY0)
    assert not plan.ok and any('"汇总"同时被当作' in p for p in plan.problems)
    with pytest.raises(WorkbookError, match='"汇总"同时被当作"客户跟进"和"汇总"'):
        app.run_adopt(book.settings, apply=True, today=DAY0)
    with pytest.raises(WorkbookError, match="同时被当作"):
        app.run_sync(dataclasses.replace(book.settings, tabs={"followups": "汇总"}), DAY0)
    assert book.fingerprint() == before


def test_a_sheet_synced_under_its_own_tab_names_is_adopted_again_as_the_syncs(tmp_path):
    """Settings that name the sync's tabs (快照X, 日志X): adopting the synced sheet again
    finds it synced, so its summary, logs and memory are the sync's own, not the team's."""
    book = Xlsx(tmp_path, None)
    book.build(FOLLOWUP_PLAYBOOK)
    settings = dataclasses.replace(book.settings, tabs={"memory": "快照X", "sync_log": "日志X"})
    app.run_adopt(settings, apply=True, today=DAY0)
    assert "快照X" in openpyxl.load_workbook(book.path).sheetnames
    plan, _ = app.run_adopt(settings, apply=False, today=DAY0 + dt.timedelta(days=1))
    assert plan.ok, plan.problems


# --- issue 24, items 1-3: the checklist's 维护清单 and the follow-up tool as printed --------
MAINTENANCE_LIST = [
    [
        "客户编号",
        "客户名称",
        "客户分类(价值+潜力+关系)",
        "核心联系人",
        "维护责任人",
        "上次跟进时间",
        "跟进方式",
        "当前状态(如:合作中/流失/待转化)",
        "备注",
    ],
    [
        "M01",
        "东方制药",
        "A类+高潜力+战略伙伴",
        "王总",
        "王芳",
        D(2026, 11, 2),
        "上门",
        "合作中",
        "年框",
    ],
    [
        "M02",
        "北辰能源",
        "B类+中潜力+长期合作",
        "李总",
        "刘强",
        D(2026, 11, 10),
        "电话",
        "合作中",
        None,
    ],
    ["M03", "南湖食品", "C类", "赵经理", "王芳", D(2026, 11, 2), "微信", "已合作", None],
    ["M04", "西山建材", "A", "钱总", "刘强", D(2026, 11, 16), "电话", "待转化", None],
    ["M05", "中原纺织", "战略客户", "孙总", "王芳", D(2026, 11, 6), "电话", "合作中", None],
    ["M06", "江南船舶", "B类", "周总", "刘强", D(2026, 6, 1), "电话", "流失", None],
    ["M07", "塞北乳业", None, "吴总", "王芳", D(2026, 11, 12), "电话", "观望", None],
]


def _in_script(rows, script):
    from sheetsync.workbook.messages import traditional

    if script == "zh":
        return rows
    return [[traditional(v) if isinstance(v, str) else v for v in row] for row in rows]


@pytest.mark.parametrize("script", ["zh", "zh-Hant"])
def test_the_maintenance_list_as_printed_is_kept_as_existing_customers_by_class(book, script):
    """The checklist's 维护清单 (客户分类(价值+潜力+关系), 当前状态(如:合作中/流失/待转化),
    维护责任人, 上次跟进时间): the plan says how status and class are read, nothing stops,
    nothing typed changes, and a 合作中 customer is kept by its class's plan."""
    rows = _in_script(MAINTENANCE_LIST, script)
    title = "客户关系分类及维护清单" if script == "zh" else "客戶關係分類及維護清單"
    book.build({title: rows})
    before = book.fingerprint()
    plan, report = app.run_adopt(book.settings, apply=False, today=DAY0)
    assert plan.ok and report is None and book.fingerprint() == before
    keys = {simplified(c.header): c.key for c in plan.columns}
    assert keys["客户分类(价值+潜力+关系)"] == "class_label"
    assert keys["当前状态(如:合作中/流失/待转化)"] == "customer_state"
    assert not plan.renames or all(r.old is None for r in plan.renames)  # nothing renamed
    said = simplified("\n".join(app_lines(plan)))
    assert "4个已有客户" in said and "1个待转化/潜在客户" in said and "1个流失客户" in said
    assert "A 2、B 2、C 1" in said  # classes as typed (M05's names none)
    assert '第6行"战略客户"读不出分类' in said and '第8行合作状态"观望"不认识' in said
    assert "A类维护:每30天上门拜访:上门拜访;每90天上门拜访:高层互访" in said  # the class's plan
    assert "成交回访:成交后7天" in said

    typed = _people_cells(rows)
    app.run_adopt(book.settings, apply=True, today=DAY0)
    for day in (DAY0 + dt.timedelta(days=1), DAY0 + dt.timedelta(days=2)):
        app.run_sync(book.settings, day, email=False)
    grid = book.grid(title)
    assert _by_header(grid, {h: h for h in rows[0]}) == typed  # every typed value, as typed
    header = [simplified(str(h)) for h in grid[0]]
    at = {h: i for i, h in enumerate(header)}
    got = {r[0]: r for r in grid[1:]}

    def cell(cid, column):
        row = got[cid]
        value = row[at[column]] if at[column] < len(row) else None
        return value.date() if isinstance(value, dt.datetime) else value

    # A: the monthly visit a month after the last one (the old code: a lead's weekly push)
    assert cell("M01", "下次跟进日期") == dt.date(2026, 12, 2)
    assert "上门拜访" in simplified(cell("M01", "跟进任务"))
    assert cell("M02", "下次跟进日期") == dt.date(2026, 12, 10)  # B: the monthly call
    assert "电话回访" in simplified(cell("M02", "跟进任务"))
    assert cell("M03", "下次跟进日期") == dt.date(2026, 12, 2)  # C: monthly, not quarterly
    assert cell("M04", "下次跟进日期") == dt.date(2026, 11, 23)  # a prospect: the lead plan
    assert "读不出客户分类" in simplified(cell("M05", "校验提示"))
    assert simplified(cell("M06", "健康度")) == "流失"
    assert "不是已知的合作状态" in simplified(cell("M07", "校验提示"))
    assert not cell("M01", "校验提示")  # no 意向度/预算情况 nagging for an existing customer


def app_lines(plan):
    from sheetsync.ops.adopt import plan_lines

    return plan_lines(plan)


PLAN_GRADING = [
    ["分级", "核心标准", "跟进频率", "核心动作", "负责人要求"],
    [
        "A类(高意向)",
        "预算明确,决策周期≤1个月",
        "每日1次",
        "电话沟通需求、同步方案进展、邀请演示",
        "资深销售",
    ],
    [
        "B类(中意向)",
        "预算初步确认,决策周期1-3个月",
        "每2-3天发送1次资料,每周1次电话沟通需求变化",
        "发送资料/案例,电话沟通需求变化",
        "销售",
    ],
    [
        "C类(低意向)",
        "意向模糊,决策周期>3个月",
        "每周推送1次+每月1次轻量触达",
        "推送行业动态/促销信息",
        "销售助理",
    ],
]


@pytest.mark.parametrize("script", ["zh", "zh-Hant"])
def test_the_follow_up_tools_two_tables_with_their_plans_are_adopted(book, script):
    """客户跟进记录表 and 客户分级标准与跟进策略表 with the tool's plans in 跟进频率: read into
    steps (the old code stopped on them), the task naming the step due."""
    followups = _in_script(FOLLOWUP_PLAYBOOK["客户跟进记录表"], script)
    for row in followups[1:]:
        row[8] = None  # no 客户反馈 ("预算明确") on these rows: their grade comes from the sheet
    grading = _in_script(PLAN_GRADING, script)
    titles = ("客户跟进记录表", "客户分级标准与跟进策略表")
    if script != "zh":
        titles = ("客戶跟進記錄表", "客戶分級標準與跟進策略表")
    book.build({titles[0]: followups, titles[1]: grading})
    plan, _ = app.run_adopt(book.settings, apply=False, today=DAY0)
    assert plan.ok, plan.problems
    said = simplified("\n".join(app_lines(plan)))
    assert "A:每1天电话:电话沟通需求、同步方案进展、邀请演示" in said
    assert "B:每3天邮件:发送资料;每7天电话:电话沟通需求变化" in said
    assert "C:每7天推送:推送;每30天推送:轻量触达" in said
    typed = _people_cells(followups)
    app.run_adopt(book.settings, apply=True, today=DAY0)
    app.run_sync(book.settings, DAY0 + dt.timedelta(days=1), email=False)
    grid = book.grid(titles[0])
    renamed = {h: h for h in followups[0]}
    renamed.update({followups[0][5]: _in_script([["约定跟进日期"]], script)[0][0]})
    renamed.update({followups[0][10]: _in_script([["状态(手填)"]], script)[0][0]})
    assert _by_header(grid, renamed) == typed
    header = [simplified(str(h)) for h in grid[0]]
    row = {r[0]: r for r in grid[1:]}
    task = simplified(row["KH002"][header.index("跟进任务")])
    assert "推送" in task  # grade C (nothing typed): the weekly push step named

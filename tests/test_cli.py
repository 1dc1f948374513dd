import openpyxl
import pytest
from click.testing import CliRunner
from conftest import ZH_TABS, customer, make_workbook, results

from sheetsync.ops.cli import main


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


def test_init_creates_every_tab_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new.xlsx"
    assert run("init", path).exit_code == 0
    assert openpyxl.load_workbook(path).sheetnames == ZH_TABS
    path.write_bytes(path.read_bytes())
    again = run("init", path, "--locale", "en")
    assert again.exit_code == 1 and "already exists; use --force" in again.output
    assert run("init", path, "--locale", "en", "--force").exit_code == 0
    assert openpyxl.load_workbook(path).sheetnames[0] == "Follow-ups"


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("demo.xls", "demo.xlsx"),
        ("team", "team.xlsx"),
        ("a.csv", "a.xlsx"),
        ("sub/b.xlsm", "b.xlsx"),
    ],
)
def test_init_refuses_a_name_that_is_not_xlsx_and_writes_nothing(
    tmp_path, monkeypatch, name, suggestion
):
    monkeypatch.chdir(tmp_path)
    result = run("init", name, "--demo")
    assert result.exit_code == 1
    assert f"cannot create {name}: a workbook must end in .xlsx" in result.output
    assert suggestion in result.output and len(result.output.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_init_takes_xlsx_in_capitals(tmp_path):
    assert run("init", tmp_path / "TEAM.XLSX").exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "TEAM.XLSX").sheetnames == ZH_TABS


def test_init_demo_fills_team_and_customers(tmp_path):
    path = tmp_path / "demo.xlsx"
    run("init", path, "--demo")
    wb = openpyxl.load_workbook(path)
    assert wb["客户跟进"].max_row > 40 and wb["团队"].max_row == 5


def test_sync_reports_and_exits_zero_even_with_invalid_rows(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2", owner=None)])
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox")}  # not the project's demo/outbox
    result = run("sync", "--workbook", path, "--today", "2026-11-18", env=env)
    assert result.exit_code == 0
    assert (
        "读取2行,1行无效" in result.output and "写入10个单元格" in result.output
    )  # K1: grade, health, days in stage, date, task, status; K2: grade, days, status, check
    assert results(path)["K2"]["status"] == "资料不全"


def test_sync_dry_run_prints_cells_and_writes_nothing(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    before = path.read_bytes()
    result = run("sync", "--workbook", path, "--today", "2026-11-18", "--dry-run")
    assert '客户跟进 K1 客户等级: "" -> "B"' in result.output
    assert "将写入6个单元格" in result.output  # 客户分类 (no value data) and 校验提示 stay empty
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config", "nope.yaml"], "cannot read config file nope.yaml"),
    ],
)
def test_sync_fails_with_one_line_and_no_traceback(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run("sync", *args)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["sync", "remind"])
@pytest.mark.parametrize(
    "today, message",
    [
        ("2026-11-31", "no such date: 2026-11-31"),
        ("2026-13-01", "no such date: 2026-13-01"),
        ("2026-02-29", "no such date: 2026-02-29"),
        ("tomorrow", "'tomorrow' is not a date; expected YYYY-MM-DD"),
        ("2026/11/18", "'2026/11/18' is not a date; expected YYYY-MM-DD"),
    ],
)
def test_a_bad_today_says_what_is_wrong_with_it(tmp_path, command, today, message):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    before = path.read_bytes()
    result = run(command, "--workbook", path, "--today", today)
    assert result.exit_code == 2 and message in result.output
    assert "does not match the format" not in result.output
    assert path.read_bytes() == before


def test_a_leap_day_is_a_real_today(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    assert run("sync", "--workbook", path, "--today", "2028-02-29").exit_code == 0


def test_bad_setting_from_environment_is_reported(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    result = run("sync", "--workbook", path, env={"SHEETSYNC_TIMEZONE": "Mars/Base"})
    assert result.exit_code == 1 and 'timezone: "Mars/Base" is not a time zone' in result.output


def test_not_an_xlsx_file_is_reported(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_text("hello")
    result = run("sync", "--workbook", path)
    assert result.exit_code == 1 and "is not a readable .xlsx workbook" in result.output


def test_validate_lists_every_problem_and_fails_on_errors(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [
            customer("K1", last_contact="2024-13-01", customer=None),
            customer("K2", owner="赵六"),
        ],
    )
    before = path.read_bytes()
    result = run("validate", "--workbook", path)
    assert result.exit_code == 1
    assert "第2行(K1)错误:客户名称: 为空(必填)" in result.output
    assert '第2行(K1)错误:上次跟进日期: "2024-13-01"不是日期' in result.output
    assert '第3行(K2)提醒:负责人: "赵六"不在团队表里' in result.output
    assert path.read_bytes() == before


def test_validate_passes_a_clean_workbook(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    result = run("validate", "--workbook", path)
    assert result.exit_code == 0 and "检查了1行:0行有错误" in result.output


def test_demo_creates_and_syncs_the_demo_workbook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("demo")
    assert result.exit_code == 0, result.output
    got = results(tmp_path / "demo" / "sheetsync-demo.xlsx")
    statuses = {v["status"] for v in got.values()}
    assert statuses == {"资料不全", "暂缓", "已输单", "已逾期", "今日跟进", "待跟进"}
    assert {v["grade"] for v in got.values()} == {"A", "B", "C"}
    assert list((tmp_path / "demo" / "outbox").glob("*.eml"))  # its mail beside it
    # the demo's team tab holds what its headers say: goals under 目标, titles under 职级
    assert "不在职级顺序中" not in result.output, result.output


@pytest.mark.parametrize("command", ["init", "sync", "validate", "demo"])
def test_every_command_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_a_fresh_workbook_with_no_customers_syncs_cleanly(tmp_path):
    path = tmp_path / "new.xlsx"
    run("init", path)
    first = run("sync", "--workbook", path)
    assert first.exit_code == 0 and "读取0行" in first.output
    assert "团队表里没有负责人" in first.output  # the workbook is Chinese
    assert run("validate", "--workbook", path).exit_code == 0


def test_new_workbook_gets_normal_permissions_and_a_sync_keeps_them(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = tmp_path / "new.xlsx"
        run("init", path, "--demo")
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
        path.chmod(0o664)  # a shared team folder
        run("sync", "--workbook", path, "--no-email")
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_control_characters_people_typed_are_printed_visibly_never_raw(tmp_path):
    """A cell holding ESC (Excel writes it _x001B_) would recolour or clear the terminal of
    whoever runs validate, sync --dry-run or reads the report: it is shown as \\x1b."""
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("K1", last_contact="_x001B_[2J_x001B_[31mred", customer="A_x001B_[5mB")],
    )
    for args in (("validate",), ("sync", "--dry-run", "--today", "2026-11-18")):
        result = run(*args, "--workbook", path)
        assert "\x1b" not in result.output, args
        assert "\\x1b[2J" in result.output, args


def test_a_zip_bomb_is_refused_before_it_is_read_and_nothing_is_mailed(tmp_path):
    """A part of whitespace that packs 1000 to 1 (20 MB from ~20 kB): refused from the
    package's directory, with the setting to change; the file, the outbox stay as they were."""
    import zipfile

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet1.xml.bak", " " * 20_000_000)
    before = path.read_bytes()
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox"), "SHEETSYNC_EMAIL_ENABLED": "yes"}
    result = run("sync", "--workbook", path, "--today", "2026-11-18", env=env)
    assert result.exit_code == 1
    assert "sheet1.xml.bak would inflate to 20 MB" in result.output and "max_ratio" in result.output
    assert path.read_bytes() == before and not (tmp_path / "outbox").exists()
    env["SHEETSYNC_MAX_RATIO"] = "5000"  # a team that trusts its file can say so
    assert run("sync", "--workbook", path, "--today", "2026-11-18", env=env).exit_code == 0


def test_a_lock_file_replaced_by_a_link_is_said_in_one_line(tmp_path):
    from sheetsync.backends.xlsx import lock_path

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    lock = lock_path(path)
    lock.symlink_to(lock)  # a link to itself: opening it loops
    result = CliRunner().invoke(main, ["sync", "--workbook", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot take the lock file" in result.output and "remove it" in result.output


@pytest.mark.parametrize(
    "part", ["docProps/app.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"]
)
def test_a_part_declaring_a_doctype_is_refused_before_anything_is_mailed(tmp_path, part):
    """The write parses these parts again: a DOCTYPE in one used to fail there, after the
    day's mail had gone out. Now the read refuses it, naming the part."""
    import zipfile

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact="2026-11-01")])
    rebuilt = tmp_path / "c.xlsx"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            new.writestr(info, data)
    rebuilt.replace(path)
    before = path.read_bytes()
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox"), "SHEETSYNC_EMAIL_ENABLED": "yes"}
    result = run("sync", "--workbook", path, "--today", "2026-11-18", env=env)
    assert result.exit_code == 1 and f"part {part} declares a DOCTYPE" in result.output
    assert path.read_bytes() == before and not (tmp_path / "outbox").exists()

"""Bounded logs (issue 25, item 4): a workbook synced every other week for fifteen months, its
logs' rows older than thirteen months moved to an archive workbook beside it. The summary
must read the same cell for cell, no row may be lost, a second run archives nothing twice,
and a run stopped between the archive's write and the workbook's loses and doubles nothing."""

import datetime as dt
import email
import email.policy
import random
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from conftest import customer, make_workbook, sheet_rows, sync

from sheetsync.workbook.schema import FOLLOWUPS, FORECAST_LOG, HISTORY, STAGE_LOG, SYNC_LOG

D = dt.date
FIRST = D(2025, 8, 4)  # the first sync, a Monday
LAST = D(2026, 11, 2)  # fifteen months on: rows before 2025-10-01 are past 13 months
OWNERS = ["张伟", "李娜", "王强"]
LADDER = ["线索获取", "初步接触", "需求确认", "方案展示", "商务谈判"]
LOGS = [t.title("zh") for t in (HISTORY, STAGE_LOG, SYNC_LOG, FORECAST_LOG)]
OFF = {"archive": {"enabled": False}}


def _step(path, day: dt.date, rng: random.Random) -> None:
    """What the team types in a fortnight: contacts, stage moves, wins and losses, a
    handover, a note a manager adds to the history."""
    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title("zh")]
    header = {c.value: c.column for c in sheet[1]}

    def put(row, key, value):
        sheet.cell(row, header[FOLLOWUPS.column(key).zh]).value = value

    for row in range(2, sheet.max_row + 1):
        stage = sheet.cell(row, header["销售阶段"]).value
        if stage in ("输单",) or rng.random() < 0.3:
            continue
        put(row, "last_contact", day - dt.timedelta(days=rng.randint(0, 3)))
        put(row, "summary", f"{day.isoformat()} 电话沟通 {rng.randint(1, 99)}")
        put(row, "method", rng.choice(["电话", "拜访", "微信"]))
        if stage in LADDER and rng.random() < 0.35:
            at = LADDER.index(stage)
            if at + 1 < len(LADDER):
                put(row, "stage", LADDER[at + 1])
            else:
                won = rng.random() < 0.6
                put(row, "stage", "成交维护" if won else "输单")
                if not won:
                    put(row, "lost_reason", rng.choice(["价格", "竞品"]))
        elif stage in LADDER[2:] and rng.random() < 0.08:
            put(row, "stage", LADDER[LADDER.index(stage) - 1])  # a step back
        if rng.random() < 0.05:
            put(row, "owner", rng.choice(OWNERS))  # a handover
        put(row, "expected_amount", rng.choice([100_000, 250_000, 400_000]))
    if rng.random() < 0.4:  # a new lead
        n = sheet.max_row
        for key, value in customer(
            f"N{n}", stage="线索获取", owner=rng.choice(OWNERS), last_contact=day
        ).items():
            put(n + 1, key, value)
    history = book["跟进历史"] if "跟进历史" in book.sheetnames else None
    if history is not None and history.max_row > 3 and rng.random() < 0.3:
        cell = history.cell(rng.randint(2, history.max_row), 6)
        cell.value = f"{cell.value or ''}(经理已阅)"  # an annotation, moved as it is
    book.save(path)


@pytest.fixture(scope="module")
def fifteen_months(tmp_path_factory):
    """The workbook after fifteen months of fortnightly syncs, nothing archived yet."""
    path = tmp_path_factory.mktemp("fifteen") / "客户跟进.xlsx"
    rng = random.Random(25)
    rows = [
        customer(
            f"C{i:02d}",
            stage=rng.choice(LADDER[:3]),
            owner=OWNERS[i % 3],
            industry=rng.choice(["制造", "零售"]),
            lead_source=rng.choice(["展会", "官网"]),
            expected_amount=200_000,
            last_contact=FIRST - dt.timedelta(days=2),
        )
        for i in range(12)
    ]
    make_workbook(path, rows)
    day = FIRST
    while day < LAST:
        sync(path, day, **OFF)
        day += dt.timedelta(days=14)
        _step(path, day, rng)
    return path


def _copy(source, folder, name="客户跟进.xlsx"):
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy(source, folder / name)


def _archive(path):
    return path.parent / "客户跟进-归档.xlsx"


def _data(path, title) -> list[tuple]:
    """A tab's rows under its header, trailing blanks trimmed."""
    rows = []
    for row in sheet_rows(path, title)[1:]:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        if row:
            rows.append(tuple(row))
    return rows


def _mails(path) -> list[str]:
    """The text of each mail in the outbox beside the workbook, its folder's name taken out."""
    texts = []
    for eml in sorted((path.parent / "outbox").glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                texts.append(part.get_content().replace(str(path.parent), "<folder>"))
    return texts


@pytest.mark.slow  # fifteen months of fortnightly syncs (the module's fixture), then two more
def test_archiving_keeps_the_summary_and_every_row(fifteen_months, tmp_path):
    kept = _copy(fifteen_months, tmp_path / "kept")
    moved = _copy(fifteen_months, tmp_path / "moved")
    before = {t: Counter(_data(moved, t)) for t in LOGS}
    sync(kept, LAST, **OFF)
    report = sync(moved, LAST)
    assert _archive(moved).exists()
    assert any("归档" in n for n in report.notes)
    assert sheet_rows(moved, "汇总") == sheet_rows(kept, "汇总")
    assert sheet_rows(moved, "客户跟进") == sheet_rows(kept, "客户跟进")
    archived = openpyxl.load_workbook(_archive(moved))
    moved_rows = 0
    for title in LOGS:
        header = sheet_rows(moved, title)[0]
        if title in archived.sheetnames:
            assert sheet_rows(_archive(moved), title)[0] == header  # the same headers
            old = Counter(_data(_archive(moved), title))
        else:
            old = Counter()
        moved_rows += sum(old.values())
        now = Counter(_data(moved, title))
        assert before[title] <= now + old, title  # nothing lost
        assert not (old & now), title  # and nothing in both
        if title != "同步日志":  # (its rows say when each run ran, and what it did)
            assert now + old == Counter(_data(kept, title)), title
    assert moved_rows > 50  # the first two months of the history and the other logs
    dates = [r[11] for r in _data(moved, "跟进历史") if r[11] is not None]
    assert min(dates).date() >= D(2025, 10, 1)  # 13 months kept, whole months

    # The next days: the same summary from the rows left and 历史汇总, nothing archived twice.
    rng = random.Random(7)
    day = LAST
    for _ in range(2):
        day += dt.timedelta(days=1)
        seed = rng.random()
        for path in (kept, moved):
            _step(path, day, random.Random(seed))
        mail = {"SHEETSYNC_EMAIL_MANAGER_SUMMARY": "true"}
        sync(kept, day, email=True, environ=mail, **OFF)
        sync(moved, day, email=True, environ=mail)
        assert sheet_rows(moved, "汇总") == sheet_rows(kept, "汇总"), day
        assert sheet_rows(moved, "客户跟进") == sheet_rows(kept, "客户跟进"), day
        # and the mail: each owner's digest (上次 / 再上次 from the history) and the summary
        assert _mails(moved) == _mails(kept) != [], day
    after = {
        t: Counter(_data(_archive(moved), t))
        for t in openpyxl.load_workbook(_archive(moved)).sheetnames
    }
    assert sum(sum(c.values()) for c in after.values()) == moved_rows


@pytest.mark.slow  # fifteen months of fortnightly syncs (the module's fixture)
def test_a_run_stopped_between_the_archive_and_the_workbook_doubles_nothing(
    fifteen_months, tmp_path, monkeypatch
):
    whole = _copy(fifteen_months, tmp_path / "whole")
    cut = _copy(fifteen_months, tmp_path / "cut")
    sync(whole, LAST)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process stopped right after the archive's write

    with monkeypatch.context() as patch:
        patch.setattr("sheetsync.archiving.updated", killed)
        with pytest.raises(KeyboardInterrupt):
            sync(cut, LAST)
    assert _archive(cut).exists()
    assert _data(cut, "跟进历史") == _data(fifteen_months, "跟进历史")  # still all there
    sync(cut, LAST)
    for title in openpyxl.load_workbook(_archive(whole)).sheetnames:
        assert Counter(_data(_archive(cut), title)) == Counter(_data(_archive(whole), title))
    for title in ["跟进历史", "阶段记录", "预测记录", "汇总"]:
        assert sheet_rows(cut, title) == sheet_rows(whole, title)
    assert len(sheet_rows(cut, "同步日志")) == len(sheet_rows(whole, "同步日志"))  # one row a run


# --- Google (the real gspread client against tests/sheets_fake.py) ---------------------------
ARCHIVE_KEY = "1ArchiveArchiveArchiveArchiveArchive_-0123"


def _gsync(sheets_api, service_account, key, day, **settings):
    from conftest import gsheets_settings

    google = gsheets_settings(sheets_api, service_account)
    return sync(Path("unused.xlsx"), day, workbook=key, **google, **settings)


def _rows(sheets_api, key, title):
    grid = sheets_api.books[key].by_title(title).grid()
    return [tuple(r) for r in grid[1:] if any(v != "" for v in r)]


@pytest.mark.slow  # fifteen months of syncs on a Google sheet and its twin
def test_google_archives_to_the_spreadsheet_the_settings_name(sheets_api, service_account):
    from conftest import make_spreadsheet

    team = [customer(f"G{i}", owner=OWNERS[i % 3], expected_amount=100_000) for i in range(6)]
    kept, moved = (
        "1KeptKeptKeptKeptKeptKeptKeptKept_-0123456",
        "1MovedMovedMovedMovedMoved_-0123456",
    )
    for key in (kept, moved):
        make_spreadsheet(sheets_api, service_account, team, key=key)
    day = D(2025, 8, 4)
    while day < D(2026, 11, 2):
        for key in (kept, moved):
            _gsync(sheets_api, service_account, key, day, **OFF)
        day += dt.timedelta(days=61)
    before = {t: Counter(_rows(sheets_api, moved, t)) for t in LOGS}

    # No archive spreadsheet named: the rows stay, and the sync log says what to do.
    report = _gsync(sheets_api, service_account, moved, LAST)
    assert any("archive.workbook" in n for n in report.notes)
    assert Counter(_rows(sheets_api, moved, "跟进历史")) == before["跟进历史"]
    assert sheets_api.books.keys() >= {kept, moved} and ARCHIVE_KEY not in sheets_api.books

    sheets_api.create(ARCHIVE_KEY)  # made and shared by a person, named in the settings
    link = f"https://docs.google.com/spreadsheets/d/{ARCHIVE_KEY}/edit"
    _gsync(sheets_api, service_account, kept, LAST, **OFF)
    report = _gsync(sheets_api, service_account, moved, LAST, archive={"workbook": link})
    assert any("归档" in n and ARCHIVE_KEY in n for n in report.notes)
    assert _rows(sheets_api, moved, "汇总") == _rows(sheets_api, kept, "汇总")
    for title in LOGS:
        now = Counter(_rows(sheets_api, moved, title))
        titles = [s.title for s in sheets_api.books[ARCHIVE_KEY].sheets]
        old = Counter(_rows(sheets_api, ARCHIVE_KEY, title)) if title in titles else Counter()
        assert before[title] <= now + old, title
        assert not (now & old), title
    assert sum(len(_rows(sheets_api, ARCHIVE_KEY, t)) for t in ("跟进历史", "阶段记录")) > 0
    again = _gsync(sheets_api, service_account, moved, LAST, archive={"workbook": link})
    assert not any("归档" in n for n in again.notes)  # nothing left to move, none twice


# --- small cases: a sync of last year's August and one today ----------------------------------
def _a_year_on(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer(f"C{i}") for i in range(4)])
    sync(path, D(2025, 8, 4), **OFF)
    sync(path, D(2025, 9, 8), **OFF)
    return path


def test_an_archive_someone_has_open_is_not_written_and_nothing_moves(tmp_path):
    from test_xlsx_safety import excel_owner_file

    path = _a_year_on(tmp_path)
    assert any("移到归档" in n for n in sync(path, D(2026, 11, 18)).notes)
    archive = tmp_path / "b-归档.xlsx"
    book = openpyxl.load_workbook(path)
    typed = "补记的一次拜访"  # a contact typed into the history by hand, before the months kept
    day = D(2025, 9, 1)
    book["跟进历史"].append(
        [day, "C1", None, "张伟", "电话", typed, None, None, None, "跟进", None, day]
    )
    book.save(path)
    excel_owner_file(archive, "张伟")  # and someone has the archive open in Excel
    before = archive.read_bytes()
    report = sync(path, D(2026, 11, 19))
    assert any("归档没有完成" in n and "张伟" in n for n in report.notes)
    assert archive.read_bytes() == before  # their next save would drop what we added
    assert any(typed in r for r in _data(path, "跟进历史"))  # so it stays in the workbook


def test_keep_months_is_a_setting_of_at_least_three():
    from sheetsync.config import load_settings
    from sheetsync.errors import ConfigError

    assert load_settings(environ={}).archive.keep_months == 13
    assert load_settings(environ={}, archive={"keep_months": 6}).archive.keep_months == 6
    with pytest.raises(ConfigError, match="keep_months"):
        load_settings(environ={}, archive={"keep_months": 2})


@pytest.mark.parametrize("seed", range(6))
def test_the_stage_rows_kept_give_every_figure_whatever_comes_after(seed):
    """历史汇总 keeps a few 阶段记录 rows per customer, not each move: conversion, cycles,
    where deals were lost, new deals and stage starts come out the same with any later rows."""
    import pandas as pd

    from sheetsync.rules import conversion, performance
    from sheetsync.rules.archive import reduced_stages
    from sheetsync.rules.stages import first_seen, stage_start

    rng = random.Random(seed)
    keys = ["lead", "contacted", "needs", "proposal", "negotiation", "contract", "won", "lost"]
    keys += ["nurture"]
    cut = pd.Timestamp(2025, 10, 1)
    old, new = [], []
    for c in range(150):
        day = pd.Timestamp(2024, 1, 1) + pd.Timedelta(days=rng.randrange(500))
        at = rng.randrange(6)
        for _ in range(rng.randrange(1, 14)):  # up and down the ladder, wins undone, lost
            at = max(0, min(len(keys) - 1, at + rng.choice([-1, 1, 1, 2, 0, 6, 7])))
            (old if day < cut else new).append((f"K{c}", keys[at], day))
            day += pd.Timedelta(days=rng.choice([0, 0, 3, 20, 90]))
    frame = lambda rows: pd.DataFrame(rows, columns=["customer_id", "stage", "since"])  # noqa: E731
    whole = frame(old + new)
    kept = pd.concat([reduced_stages(frame(old)), frame(new)], ignore_index=True)
    assert len(reduced_stages(frame(old))) < len(old)
    ids = pd.Series(sorted({r[0] for r in old + new}))
    now = pd.DataFrame({"customer_id": ids, "stage_key": "won"})
    for log in (whole, kept):
        log["since"] = pd.to_datetime(log["since"])
    got = [
        (
            conversion.stage_conversion(log, "zh"),
            conversion.outcomes(log).sort_index(),
            performance.lost_at(log),
            performance.new_deals(log).sort_index(),
            first_seen(log, ids),
            stage_start(log, now),
        )
        for log in (whole, kept)
    ]
    assert got[0][0] == got[1][0]
    for a, b in zip(got[0][1:], got[1][1:], strict=True):
        pd.testing.assert_series_equal(a, b) if isinstance(a, pd.Series) else (
            pd.testing.assert_frame_equal(a, b)
        )


@pytest.mark.slow  # fifteen months of syncs on a Feishu sheet and its twin
def test_feishu_archives_to_the_sheet_the_settings_name(feishu_api):
    """As on Google: no archive sheet named, the rows stay and the sync log says what to do;
    one named (made and shared with the app by a person), the old rows move there, the
    summary is the same as an unarchived twin's, and nothing moves twice."""
    from conftest import feishu_settings, make_feishu_sheet

    team = [customer(f"F{i}", owner=OWNERS[i % 3], expected_amount=100_000) for i in range(6)]
    kept, moved, archive = "shtKeptKeptKept01", "shtMovedMoved0001", "shtArchiveArch001"

    def fsync(token, day, **settings):
        link = f"https://example.feishu.cn/sheets/{token}"
        return sync(
            Path("unused.xlsx"), day, workbook=link, **feishu_settings(feishu_api), **settings
        )

    def rows(token, title):
        grid = feishu_api.books[token].by_title(title).grid()
        return [tuple(r) for r in grid[1:] if any(v not in ("", None) for v in r)]

    for token in (kept, moved):
        make_feishu_sheet(feishu_api, team, token=token)
    day = D(2025, 8, 4)
    while day < LAST:
        for token in (kept, moved):
            fsync(token, day, **OFF)
        day += dt.timedelta(days=61)
    before = {t: Counter(rows(moved, t)) for t in LOGS}

    report = fsync(moved, LAST)
    assert any("archive.workbook" in n for n in report.notes)
    assert Counter(rows(moved, "跟进历史")) == before["跟进历史"]

    feishu_api.create(archive)  # made by a person and shared with the app
    link = f"https://example.feishu.cn/sheets/{archive}"
    fsync(kept, LAST, **OFF)
    report = fsync(moved, LAST, archive={"workbook": link})
    assert any("归档" in n and archive in n for n in report.notes), report.notes
    assert rows(moved, "汇总") == rows(kept, "汇总")
    titles = [s.title for s in feishu_api.books[archive].sheets]
    for title in LOGS:
        now = Counter(rows(moved, title))
        old = Counter(rows(archive, title)) if title in titles else Counter()
        assert before[title] <= now + old, title
        assert not (now & old), title
    assert sum(len(rows(archive, t)) for t in ("跟进历史", "阶段记录") if t in titles) > 0
    again = fsync(moved, LAST, archive={"workbook": link})
    assert not any("归档" in n for n in again.notes)

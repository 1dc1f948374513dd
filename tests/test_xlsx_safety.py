"""The workbook file itself: never written while someone has it open, never replaced through a
link or littered with stale copies, never given a cell Excel cannot open, and people's
formulas keep their last results whichever way it is saved. Real .xlsx files in tmp_path."""

import concurrent.futures
import datetime as dt
import io
import random
import sys
import tempfile
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import TODAY, customer, make_workbook, results, sheet_rows, summary_section, sync
from lxml import etree
from python_calamine import CalamineWorkbook

from sheetsync.backends import xlsx
from sheetsync.backends.xlsx import XlsxBackend, rewrite_with_openpyxl
from sheetsync.backends.xlsx_package import MAIN, PatchUnsupported
from sheetsync.backends.xlsx_patch import patch_workbook
from sheetsync.errors import BackendError, ConflictError, LockedError
from sheetsync.ops.cli import main
from sheetsync.workbook.changes import CellChange, Changeset
from sheetsync.workbook.schema import FOLLOWUPS

OVERDUE = customer("K1", last_contact=TODAY - dt.timedelta(days=60))  # mails its owner a digest


def excel_owner_file(path, name: str) -> None:
    """What Excel and WPS leave beside an open workbook (162 bytes): the name's length and the
    name in the ANSI code page (GBK here), padded to offset 54; then its length in characters
    (16-bit) and the name in UTF-16LE."""
    narrow, wide = name.encode("gbk"), name.encode("utf-16-le")
    data = (bytes([len(narrow)]) + narrow).ljust(54, b" ")
    data += len(name).to_bytes(2, "little") + wide
    path.with_name(f"~${path.name}").write_bytes(data.ljust(162, b"\0"))


def libreoffice_lock_file(path, line: str) -> None:
    path.with_name(f".~lock.{path.name}#").write_text(line, encoding="utf-8")


def cells(path, title: str) -> list[list]:
    """A tab as calamine (the sync's reader) sees it."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(title).to_python()


# --- someone has the workbook open -----------------------------------------------------------


@pytest.mark.parametrize(
    "leave, holder",
    [
        (lambda p: excel_owner_file(p, "张伟"), "Excel/WPS (张伟)"),
        (lambda p: excel_owner_file(p, "Li Lei"), "Excel/WPS (Li Lei)"),
        (lambda p: p.with_name(f"~${p.name}").write_bytes(b"\x09\xff\xfe\x00garbage"), "Excel/WPS"),
        (lambda p: p.with_name(f"~${p.name}").write_bytes(b""), "Excel/WPS"),
        (
            lambda p: libreoffice_lock_file(
                p, ",Li Lei,lilei-pc,18.11.2026 09:12,file:///home/lilei;"
            ),
            "LibreOffice (Li Lei)",
        ),
        (
            lambda p: libreoffice_lock_file(p, "王芳,wangf,pc-7,18.11.2026 09:12,file:///C:/x;"),
            "LibreOffice (王芳)",
        ),
        (
            lambda p: libreoffice_lock_file(p, "Wang\\, Fang,wangf,pc,date,url;"),
            "LibreOffice (Wang, Fang)",
        ),
        (lambda p: libreoffice_lock_file(p, "\x00\x01"), "LibreOffice"),
        (lambda p: excel_owner_file(p.with_name("其他.xlsx"), "张伟"), None),  # another workbook's
        (lambda p: None, None),
    ],
)
def test_held_by_names_who_has_the_workbook_open(tmp_path, leave, holder):
    path = make_workbook(tmp_path / "客户.xlsx", [customer("K1")])
    leave(path)
    assert XlsxBackend(path).held_by() == holder


def test_an_open_workbook_is_neither_mailed_about_nor_written(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [OVERDUE])
    excel_owner_file(path, "张伟")
    before = path.read_bytes()
    with pytest.raises(LockedError, match=r"b\.xlsx 正被 Excel/WPS \(张伟\) 打开:请关闭后再同步"):
        sync(path, email=True)
    assert path.read_bytes() == before
    assert not list((tmp_path / "outbox").glob("*.eml"))
    path.with_name("~$b.xlsx").unlink()  # 张伟 closes it
    sync(path, email=True)
    assert results(path)["K1"]["status"] == "已逾期" and list((tmp_path / "outbox").glob("*.eml"))


def test_sync_says_who_has_it_open_and_force_writes_anyway(tmp_path):
    path = make_workbook(tmp_path / "book.xlsx", [customer("K1")], locale="en")
    libreoffice_lock_file(path, ",Li Lei,lilei-pc,18.11.2026 09:12,file:///home/lilei;")
    args = ["sync", "--workbook", str(path), "--today", "2026-11-18", "--no-email"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1
    assert "is open in LibreOffice (Li Lei): close it, then sync again" in refused.output
    assert CliRunner().invoke(main, [*args, "--dry-run"]).exit_code == 0  # a look writes nothing
    assert results(path, "en")["K1"]["status"] is None
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert results(path, "en")["K1"]["status"] == "Pending"


# --- the file on disk ------------------------------------------------------------------------


def test_a_sync_through_a_symlink_updates_the_real_file_and_keeps_the_link(tmp_path):
    (tmp_path / "share").mkdir()
    real = make_workbook(tmp_path / "share" / "客户.xlsx", [customer("K1")])
    link = tmp_path / "today.xlsx"
    link.symlink_to(real)
    sync(link)
    assert link.is_symlink() and link.resolve() == real
    assert results(real)["K1"]["status"] == "待跟进"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["share", "today.xlsx"]


def test_copies_left_by_a_killed_save_are_removed_by_the_next_sync(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    stale = [tmp_path / ".b.xlsx.k3j_9x0q.tmp", tmp_path / ".b.xlsx.a1b2c3d4.tmp"]
    for copy in stale:
        copy.write_bytes(path.read_bytes()[:1000])  # a save cut off mid-write
    kept = [tmp_path / ".b.xlsx.notes.tmp", tmp_path / ".other.xlsx.a1b2c3d4.tmp"]
    for other in kept:
        other.write_text("not ours")
    sync(path)
    assert [p.exists() for p in stale + kept] == [False, False, True, True]
    assert results(path)["K1"]["status"] == "待跟进"


# --- values Excel cannot hold ----------------------------------------------------------------

LONG = "长" * 40_000
EMOJI = "😀" * 20_000  # 40,000 UTF-16 units in 20,000 characters


def _both_ways(path, changes: Changeset) -> dict[str, bytes]:
    data = path.read_bytes()
    return {
        "patch": patch_workbook(data, changes),
        "openpyxl": rewrite_with_openpyxl(data, changes),
    }


@pytest.mark.parametrize("text", [LONG, EMOJI])
def test_text_over_excels_limit_is_cut_with_an_ellipsis_on_both_write_paths(tmp_path, text):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    changes = Changeset(cells=[CellChange("客户跟进", 2, 38, "K1", "备用", None, text)])
    for way, data in _both_ways(path, changes).items():
        (tmp_path / f"{way}.xlsx").write_bytes(data)
        written = cells(tmp_path / f"{way}.xlsx", "客户跟进")[1][37]
        assert written.endswith("…") and written[:100] == text[:100], way
        assert len(written.encode("utf-16-le")) // 2 <= 32_767, way
        assert openpyxl.load_workbook(io.BytesIO(data))["客户跟进"]["AL2"].value == written


def test_a_long_duplicate_id_gives_a_check_note_excel_can_open(tmp_path):
    huge = "K" * 40_000
    path = make_workbook(tmp_path / "b.xlsx", [customer(huge), customer(huge)])
    sync(path)
    header, *rows = sheet_rows(path, "客户跟进")
    note = rows[1][header.index("校验提示")]
    assert note.startswith('客户编号: "KKK') and note.endswith("…") and len(note) == 32_767
    assert all(len(v) <= 32_767 for row in rows for v in row if isinstance(v, str))


def test_amounts_that_overflow_give_a_summary_excel_can_open(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("K1", annual_amount=1e308), customer("K2", annual_amount=1e308)],
    )
    for day in (TODAY, TODAY + dt.timedelta(days=1)):  # the openpyxl path, then the patcher
        sync(path, day)
        openpyxl.load_workbook(path)  # raised "could not read worksheets" on "inf"
        by_value = {row[0]: row[1:5] for row in summary_section(path, "按价值分类")}
        assert by_value["C"] == (2, 1, "—", "—")  # the total is no number: shown as "—"


@pytest.mark.parametrize("number", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_number_is_written_as_a_blank_on_both_write_paths(tmp_path, number):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    changes = Changeset(cells=[CellChange("客户跟进", 2, 38, "K1", "备用", None, number)])
    for way, data in _both_ways(path, changes).items():
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book["客户跟进"]["AL2"].value is None, way


# --- people's formulas -----------------------------------------------------------------------


def with_cached_results(path, formulas: dict[str, tuple[dict, str, str]]) -> None:
    """Put formula cells with their last results into the follow-up tab, as Excel saves them:
    `{ref: ({f attributes}, formula text, result)}`; openpyxl alone would write no result."""
    with zipfile.ZipFile(path) as old:
        parts = {info: old.read(info) for info in old.infolist()}
    sheet = next(i for i in parts if i.filename == "xl/worksheets/sheet1.xml")  # 客户跟进
    root = etree.fromstring(parts[sheet])
    for c in root.iter(f"{{{MAIN}}}c"):
        if c.get("r") in formulas:
            attributes, text, result = formulas[c.get("r")]
            for child in list(c):
                c.remove(child)
            c.attrib.pop("t", None)
            c.set("t", "str")
            etree.SubElement(c, f"{{{MAIN}}}f", attributes).text = text
            etree.SubElement(c, f"{{{MAIN}}}v").text = result
    parts[sheet] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in parts.items():
            new.writestr(info, data)


def test_peoples_formulas_keep_their_results_through_the_openpyxl_path(tmp_path, monkeypatch):
    owners = [customer("K1", owner="(公式)"), customer("K2", owner="(公式)")]  # cells to replace
    path = make_workbook(tmp_path / "b.xlsx", owners)
    assert sheet_rows(path, "客户跟进")[0][14] == "负责人"
    with_cached_results(
        path,
        {
            "O2": ({"t": "shared", "ref": "O2:O3", "si": "0"}, "团队!A3", "张伟"),
            "O3": ({"t": "shared", "si": "0"}, None, "李娜"),  # Excel's copy of O2's formula
        },
    )
    assert [r[14] for r in cells(path, "客户跟进")[1:3]] == ["张伟", "李娜"]
    rewrites = []
    real = xlsx.rewrite_with_openpyxl
    monkeypatch.setattr(xlsx, "rewrite_with_openpyxl", lambda *a: rewrites.append(1) or real(*a))
    with monkeypatch.context() as unsupported:  # a package the patcher cannot handle
        unsupported.setattr(xlsx, "patch_into", _unsupported)
        sync(path)
    assert rewrites == [1]
    assert_formulas_and_results(path)
    sync(path, TODAY + dt.timedelta(days=1))  # then the patcher
    assert rewrites == [1]
    assert_formulas_and_results(path)


def _unsupported(*args):
    raise PatchUnsupported("as a package the patcher cannot handle")


def assert_formulas_and_results(path) -> None:
    assert [r[14] for r in cells(path, "客户跟进")[1:3]] == ["张伟", "李娜"]
    ws = openpyxl.load_workbook(path)["客户跟进"]
    assert (ws["O2"].value, ws["O3"].value) == ("=团队!A3", "=团队!A4")
    assert {r["status"] for r in results(path).values()} == {"待跟进"}  # not 资料不全


# --- the patched workbook streams into its temporary copy ---------------------------------------


def _streams_then(error: Exception):
    """The patcher, failing after it has written part of the new file."""

    def patch(source, changes, out, old=None, folder=None):
        data = source.read()  # the write hands the patcher the workbook open, not its bytes
        out.write(data[: len(data) // 2])
        raise error

    return patch


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_copy(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    before = path.read_bytes()
    monkeypatch.setattr(xlsx, "patch_into", _streams_then(MemoryError("killed mid-write")))
    with pytest.raises(MemoryError):
        sync(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_a_part_the_patcher_gives_up_on_half_way_is_written_the_general_way(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    monkeypatch.setattr(xlsx, "patch_into", _streams_then(PatchUnsupported("rows out of order")))
    sync(path)
    assert results(path)["K1"]["status"] == "待跟进"
    assert zipfile.ZipFile(path).testzip() is None  # one whole package, not half a stream
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_a_workbook_written_twice_by_one_open_backend_keeps_both_writes(tmp_path):
    """The streamed write keeps no copy of the file in memory; a second write starts from the
    file it wrote (and still refuses one someone changed since)."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    with XlsxBackend(path, for_write=True) as backend:
        backend.read()
        backend.write(Changeset(replace={"笔记": [["第一次"]]}))
        backend.write(Changeset(replace={"笔记二": [["第二次"]]}))
        assert cells(path, "笔记") == [["第一次"]] and cells(path, "笔记二") == [["第二次"]]
        openpyxl.load_workbook(path).save(path)  # someone saves it in between
        with pytest.raises(ConflictError):
            backend.write(Changeset(replace={"笔记": [["第三次"]]}))
    assert cells(path, "笔记") == [["第一次"]]


def test_a_disk_full_while_deflating_reaches_the_caller_and_leaves_the_old_file(
    tmp_path, monkeypatch
):
    """Parts are deflated on threads of their own; a failure is the write's failure."""
    from sheetsync.backends import xlsx_package

    written = []

    class Full(io.BytesIO):  # where a part's deflated bytes go: the disk is full
        def write(self, data):
            written.append(len(data))
            raise OSError(28, "No space left on device")

    real = xlsx_package.DeflatedPart.__init__

    def failing(self, pool, folder=None):
        real(self, pool, folder)
        self.file = Full()

    monkeypatch.setattr(xlsx_package.DeflatedPart, "__init__", failing)
    monkeypatch.setattr(xlsx_package.DeflatedPart, "BLOCK", 1000)
    with (
        pytest.raises(OSError, match="No space"),
        concurrent.futures.ThreadPoolExecutor(2) as pool,
        xlsx_package.DeflatedPart(pool) as write,
    ):
        for _ in range(50):
            write(b"x" * 1000)
    assert len(written) == 1  # nothing more is written after the failure

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    before = path.read_bytes()
    with pytest.raises(BackendError, match="No space left on device"):
        sync(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.setattr(xlsx_package, "zlib_ng", None)  # the same deflated by zlib
    with pytest.raises(BackendError, match="No space left on device"):
        sync(path)
    assert path.read_bytes() == before


def test_a_write_needs_room_only_beside_the_workbook(tmp_path, monkeypatch):
    """A changed part's compressed bytes past what is held in memory go beside the workbook,
    like the write's own temporary file: a missing or full system temporary folder does not
    stop the write."""
    from sheetsync.backends import xlsx_package

    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(1, 60)])
    monkeypatch.setattr(xlsx_package.DeflatedPart, "SPILL", 100)  # every part spills
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    sync(path)
    assert results(path)["K1"]["status"]


WINDOWS_RENAME = "Windows renames nothing over a file open for the write (the save fails)"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(
            "renamed over it",
            marks=pytest.mark.skipif(sys.platform == "win32", reason=WINDOWS_RENAME),
        ),
        "written into it",
    ],
)
def test_a_save_landing_while_the_write_reads_the_workbook_stands_and_ours_is_dropped(
    tmp_path, monkeypatch, how
):
    """The write reads the workbook through an open file as it copies its parts (the bytes
    are not held: ~30 MB at 100 k customers). A save landing meanwhile, as Excel saves (a new
    file renamed over the old) or as a program writing into the file (the parts the write
    reads are then not the parts it listed), is found before the rename, or when the parts
    fail to read: their save stands, nothing of ours lands, no copy is left."""
    from sheetsync.backends import xlsx_patch

    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])

    def save() -> None:
        book = openpyxl.load_workbook(path)
        book["客户跟进"]["B2"] = "改过的名字"
        saved = io.BytesIO()
        book.save(saved)
        if how == "renamed over it":
            other = tmp_path / "saving.xlsx"
            other.write_bytes(saved.getvalue())
            other.replace(path)
        else:
            with open(path, "r+b") as file:
                file.write(saved.getvalue())
                file.truncate()

    class SavedOnceListed(xlsx_patch.Package):
        def __init__(self, data):
            super().__init__(data)  # the parts listed from the file as it was
            save()

    monkeypatch.setattr(xlsx_patch, "Package", SavedOnceListed)
    with pytest.raises(ConflictError, match="在同步期间被别人改过.*什么也没写"):
        sync(path)
    assert cells(path, "客户跟进")[1][1] == "改过的名字"  # their save stands ...
    assert results(path)["K1"]["status"] is None  # ... and none of ours landed
    assert not list(tmp_path.glob(".*.tmp"))


# --- parts a hand-made file holds that the write parses again --------------------------------


def _rezipped(path, out, edit) -> None:
    """`path`'s parts, each through `edit(name, bytes)`, as the package `out`."""
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info, edit(info.filename, old.read(info)))


def test_references_xml_forbids_in_a_persons_cell_survive_the_write_as_typed(tmp_path):
    """`&#xFFFE;`, `&#65535;` and `&#x1;` in a person's note (a hand-made file; Excel writes
    _xFFFE_): the write edits that row, and lxml refuses those references. They used to crash
    the write on every run; now the row is written and the references stay as they were."""
    made = make_workbook(
        tmp_path / "a.xlsx", [customer("K1", summary="MARK", last_contact="2026-11-01")]
    )
    path = tmp_path / "b.xlsx"
    typed = b"A&#xFFFE;B&#65535;C&#x1;D"
    _rezipped(made, path, lambda name, data: data.replace(b"MARK", typed))
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        sync(path, day)
    with zipfile.ZipFile(path) as package:
        follow_up = package.read("xl/worksheets/sheet1.xml")
    assert follow_up.count(typed) == 1
    header, row = cells(path, FOLLOWUPS.title("zh"))[:2]
    assert row[header.index("下次跟进日期")]  # the sync's cells on that row are written
    assert row[header.index("跟进内容摘要")] == "A\ufffeB\uffffC\x01D"  # as calamine reads it


def test_a_huge_app_xml_is_left_as_it_is_and_the_sync_completes(tmp_path):
    """A 24 MB app.xml (one text node: lxml's own limit is 10 MB) used to end the write in an
    XMLSyntaxError after the day's mail had gone out. app.xml only lists titles for file
    browsers: the sync leaves it as it is and writes everything else."""
    made = make_workbook(tmp_path / "a.xlsx", [customer("K1", last_contact="2026-11-01")])
    path = tmp_path / "b.xlsx"
    text = random.Random(0).randbytes(12_000_000).hex().encode()  # packs 2 to 1: no bomb
    blob = b"<Company>" + text + b"</Company></Properties>"

    def bloat(name, data):
        return data.replace(b"</Properties>", blob) if name == "docProps/app.xml" else data

    _rezipped(made, path, bloat)
    with zipfile.ZipFile(path) as package:
        before = package.read("docProps/app.xml")
    sync(path, TODAY)
    with zipfile.ZipFile(path) as package:
        assert package.read("docProps/app.xml") == before
    assert results(path)["K1"]["next_date"]


def test_a_part_the_write_parses_that_is_not_xml_is_refused_before_anything_is_mailed(tmp_path):
    """[Content_Types].xml with a reference XML forbids: lxml refuses it, and the write used to
    find out after the mail had gone. The read names the part; nothing is mailed or written."""
    made = make_workbook(tmp_path / "a.xlsx", [customer("K1", last_contact="2026-11-01")])
    path = tmp_path / "b.xlsx"
    bad = b"<Default Extension='x' ContentType='&#xFFFE;'/></Types>"

    def spoil(name, data):
        return data.replace(b"</Types>", bad) if name == "[Content_Types].xml" else data

    _rezipped(made, path, spoil)
    before = path.read_bytes()
    env = {"SHEETSYNC_EMAIL_OUTBOX": str(tmp_path / "outbox"), "SHEETSYNC_EMAIL_ENABLED": "yes"}
    result = CliRunner().invoke(
        main, ["sync", "--workbook", str(path), "--today", "2026-11-18"], env=env
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "part [Content_Types].xml is not well-formed XML" in result.output
    assert path.read_bytes() == before and not (tmp_path / "outbox").exists()

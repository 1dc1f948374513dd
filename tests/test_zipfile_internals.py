"""The raw copy of an .xlsx part (xlsx_package.copy_raw, DeflatedPart.copy_into) uses zipfile
beyond its documented API. Each internal it relies on is tested here on its own, so a Python
whose zipfile changed fails a test that names what changed, and the write itself refuses
with a clear error before writing anything, never a wrong file. The package declares Python
>= 3.11; these run on the interpreter at hand."""

import io
import struct
import zipfile
import zlib

import pytest

from sheetsync.backends import xlsx_package
from sheetsync.backends.xlsx_package import ZIPFILE_NAMES, ZipfileChanged, check_zipfile

NAME = "xl/worksheets/sheet1.xml"
DATA = b'<row r="1"><c r="A1"><v>1</v></c></row>' * 40
EXTRA = b"\x0a\x00\x04\x00abcd"  # an extra field of another kind (NTFS times), kept


def _package(extra: bytes = EXTRA) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as made:
        info = zipfile.ZipInfo(NAME, (2026, 11, 18, 9, 0, 0))
        info.compress_type, info.extra = zipfile.ZIP_DEFLATED, extra
        made.writestr(info, DATA)
    return out.getvalue()


def test_the_local_header_is_read_with_zipfiles_struct_format_and_field_indexes():
    data = _package()
    assert zipfile.sizeFileHeader == struct.calcsize(zipfile.structFileHeader) == 30
    header = struct.unpack(zipfile.structFileHeader, data[: zipfile.sizeFileHeader])
    assert header[zipfile._FH_SIGNATURE] == zipfile.stringFileHeader == b"PK\x03\x04"
    assert header[zipfile._FH_FILENAME_LENGTH] == len(NAME)
    names_end = zipfile.sizeFileHeader + len(NAME)
    assert data[zipfile.sizeFileHeader : names_end] == NAME.encode()
    extra = data[names_end : names_end + header[zipfile._FH_EXTRA_FIELD_LENGTH]]
    assert extra == EXTRA  # the member's data starts right after it


def test_only_the_zip64_extra_field_is_dropped():
    """zipfile's private helper for this was renamed in Python 3.13: the copy has its own."""
    zip64 = struct.pack("<HHQQ", xlsx_package.ZIP64_EXTRA, 16, 1, 2)
    assert xlsx_package.without_zip64(EXTRA + zip64) == EXTRA
    assert xlsx_package.without_zip64(zip64 + EXTRA + zip64) == EXTRA
    assert xlsx_package.without_zip64(b"") == b""
    assert xlsx_package.without_zip64(EXTRA + b"\x01") == EXTRA + b"\x01"  # cut short: kept


def test_a_zipinfo_writes_its_own_local_header_with_or_without_zip64():
    info = zipfile.ZipInfo(NAME, (2026, 11, 18, 9, 0, 0))
    info.CRC, info.file_size, info.compress_size = zlib.crc32(DATA), len(DATA), 10
    plain, wide = info.FileHeader(False), info.FileHeader(True)
    header = struct.unpack(zipfile.structFileHeader, plain[: zipfile.sizeFileHeader])
    assert header[zipfile._FH_SIGNATURE] == zipfile.stringFileHeader
    assert len(plain) == zipfile.sizeFileHeader + len(NAME)  # no extra: the sizes fit
    assert len(wide) == len(plain) + 20  # a zip64 extra: id, length, two 8-byte sizes
    assert zipfile.ZIP64_LIMIT == (1 << 31) - 1


def test_a_zipfile_reader_exposes_its_file_and_each_members_header_offset():
    with zipfile.ZipFile(io.BytesIO(_package())) as read:
        info = read.infolist()[0]
        assert info.header_offset == 0 and read.fp is not None
        read.fp.seek(info.header_offset)
        assert read.fp.read(4) == zipfile.stringFileHeader


def test_a_member_registered_by_hand_is_listed_when_the_writer_closes():
    """What `_put_member` does to a ZipFile open for writing: write at `start_dir`, append
    to `filelist` and `NameToInfo`, move `start_dir`, set `_didModify` (else close writes
    no central directory), and refuse while `_writing` says a member is open."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as new:
        assert new._writing is False and new.start_dir == new.fp.tell() == 0
        with new.open("other.xml", "w") as member:
            assert new._writing is True
            member.write(b"<x/>")
        assert new._writing is False and new.start_dir == new.fp.tell()
        assert isinstance(new.filelist, list) and "other.xml" in new.NameToInfo
        entry = zipfile.ZipInfo(NAME, (2026, 11, 18, 9, 0, 0))
        entry.CRC, entry.file_size, entry.compress_size = zlib.crc32(DATA), len(DATA), len(DATA)
        new._didModify = False
        xlsx_package._put_member(new, entry, iter([DATA]))
        assert new._didModify is True and new.start_dir == new.fp.tell()
    with zipfile.ZipFile(out) as back:
        assert back.testzip() is None and back.read(NAME) == DATA
        assert back.namelist() == ["other.xml", NAME]


def test_a_member_copied_raw_reads_back_with_its_extra_field_and_time():
    copy = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package())) as read, zipfile.ZipFile(copy, "w") as out:
        xlsx_package.copy_raw(read, read.getinfo(NAME), out)
    with zipfile.ZipFile(copy) as back:
        info = back.getinfo(NAME)
        assert back.read(NAME) == DATA and info.compress_type == zipfile.ZIP_DEFLATED
        assert info.extra == EXTRA and info.date_time == (2026, 11, 18, 9, 0, 0)


def test_zlib_ng_takes_over_the_readers_and_writers_codec():
    """`use_zlib_ng` swaps zipfile's `_decompressor` and `_compressor` (zlib objects); where
    they are no longer there, zipfile's own zlib stays (slower, the same bytes)."""
    if xlsx_package.zlib_ng is None:
        pytest.skip("zlib-ng is not installed here")
    with zipfile.ZipFile(io.BytesIO(_package())) as read, read.open(NAME) as part:
        assert isinstance(part._decompressor, type(zlib.decompressobj()))
        xlsx_package.use_zlib_ng(part)
        assert not isinstance(part._decompressor, type(zlib.decompressobj()))
        assert part.read() == DATA
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new, new.open(NAME, "w") as part:
        assert isinstance(part._compressor, type(zlib.compressobj()))
        xlsx_package.use_zlib_ng(part)
        assert not isinstance(part._compressor, type(zlib.compressobj()))
        part.write(DATA)
    assert zipfile.ZipFile(out).read(NAME) == DATA


def test_the_check_passes_on_this_python():
    check_zipfile.cache_clear()
    check_zipfile()


@pytest.mark.parametrize("name", ZIPFILE_NAMES)
def test_a_zipfile_without_an_internal_is_refused_by_name(monkeypatch, name):
    check_zipfile.cache_clear()
    monkeypatch.delattr(zipfile, name)
    with pytest.raises(ZipfileChanged, match=rf"zipfile \(3\.\d+\.\d+\) .*no zipfile\.{name}\b"):
        check_zipfile()
    check_zipfile.cache_clear()


def test_a_zipfile_whose_internals_work_otherwise_is_refused_before_writing(monkeypatch):
    """An internal still there but changed (here the header's field indexes moved): the
    write stops with the clear error, and nothing was copied."""
    check_zipfile.cache_clear()
    monkeypatch.setattr(zipfile, "_FH_FILENAME_LENGTH", zipfile._FH_SIGNATURE)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package())) as read, zipfile.ZipFile(out, "w") as new:
        with pytest.raises(ZipfileChanged, match="not the one the .xlsx write was made for"):
            xlsx_package.copy_raw(read, read.getinfo(NAME), new)
        assert new.filelist == []
    check_zipfile.cache_clear()


def test_a_write_on_a_changed_zipfile_says_so_and_leaves_the_workbook_as_it_was(
    tmp_path, monkeypatch
):
    import openpyxl

    from sheetsync.backends.xlsx import XlsxBackend
    from sheetsync.workbook.changes import CellChange, Changeset

    path = tmp_path / "b.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["编号", "客户"])
    book.active.append(["K1", "甲"])
    book.save(path)
    before = path.read_bytes()
    check_zipfile.cache_clear()
    with XlsxBackend(path, for_write=True) as backend:
        backend.read()
        monkeypatch.delattr(zipfile, "_FH_EXTRA_FIELD_LENGTH")  # zipfile's own reads fail too
        change = CellChange(book.active.title, 2, 2, "K1", "客户", "甲", "乙")
        with pytest.raises(ZipfileChanged, match="nothing was written"):
            backend.write(Changeset(cells=[change]))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    check_zipfile.cache_clear()

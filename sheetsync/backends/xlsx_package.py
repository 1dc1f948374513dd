"""The .xlsx package as parts: reading and replacing a part, finding each sheet's part, the
charts a sheet draws, and putting people's formula results back after openpyxl saved a copy."""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import io
import posixpath
import struct
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, BinaryIO, TypeVar

from lxml import etree
from openpyxl.utils import column_index_from_string

from sheetsync.errors import BackendError

try:
    from zlib_ng import zlib_ng
except ImportError:  # a platform without its wheel: zipfile's own zlib
    zlib_ng = None  # type: ignore[assignment]  # None says "not installed" to every user

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
APP_PROPERTIES_MOST = 1 << 20  # app.xml a program writes: a few kB of titles and counts


def main_tag(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


class PatchUnsupported(Exception):
    """This package or changeset needs the full openpyxl round trip."""


def split_ref(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters) :]), column_index_from_string(letters)


class Package:
    """The parts of a package: read on demand, replaced, added or dropped, then written out
    with every part nobody changed copied as its compressed bytes."""

    def __init__(self, data: bytes | BinaryIO | zipfile.ZipFile) -> None:
        """`data`: the package's bytes, a file open on it, or the package opened."""
        if isinstance(data, bytes):
            data = io.BytesIO(data)
        self.zip = data if isinstance(data, zipfile.ZipFile) else zipfile.ZipFile(data)
        self.changed: dict[str, bytes] = {}  # replaced or added parts
        self.dropped: set[str] = set()
        self._xml: dict[str, etree._Element] = {}

    def names(self) -> list[str]:
        kept = [n for n in self.zip.namelist() if n not in self.dropped]
        return kept + [n for n in self.changed if n not in kept]

    def xml(self, name: str) -> etree._Element:
        """A part parsed whatever the length of its text (the read refused declarations and
        capped each part's size already: lxml's own 10 MB cap on a text node would fail the
        write after the day's mail had gone out)."""
        data = self.changed[name] if name in self.changed else self.zip.read(name)
        return etree.fromstring(data, PARSER)

    def size(self, name: str) -> int:
        """A part's inflated size in bytes, without inflating it."""
        if name in self.changed:
            return len(self.changed[name])
        return self.zip.getinfo(name).file_size

    def tree(self, name: str) -> etree._Element:
        """One shared, editable tree per part; `put_trees()` stores the edited ones."""
        if name not in self._xml:
            self._xml[name] = self.xml(name)
        return self._xml[name]

    def put(self, name: str, root: etree._Element) -> None:
        self.add(
            name, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        )

    def add(self, name: str, data: bytes) -> None:
        """A part's new bytes (a new part, or one dropped and made again)."""
        self.changed[name] = data
        self.dropped.discard(name)
        self._xml.pop(name, None)

    def put_trees(self) -> None:
        trees, self._xml = self._xml, {}
        for name, root in trees.items():
            self.put(name, root)

    def drop(self, name: str) -> None:
        self.dropped.add(name)
        self.changed.pop(name, None)
        self._xml.pop(name, None)

    def workbook_part(self) -> str:
        rels = self.xml("_rels/.rels")
        target = next(
            (r.get("Target") for r in rels if r.get("Type", "").endswith("/officeDocument")),
            None,
        )
        if not target:
            raise KeyError("the package names no workbook part")
        return target.lstrip("/")

    def sheet_parts(self) -> dict[str, str]:
        book_part = self.workbook_part()
        book = self.xml(book_part)
        targets = {r.get("Id"): r.get("Target") for r in self.xml(rels_of(book_part))}
        parts = {}
        for sheet in book.iter(main_tag("sheet")):
            name, target = sheet.get("name"), targets.get(sheet.get(f"{{{REL}}}id"))
            if name is None or target is None:
                raise KeyError(f"a sheet without its name or its part ({name})")
            parts[name] = resolve_target(book_part, target)
        return parts

    def date1904(self) -> bool:
        """Whether the workbook counts its dates from 1904 (Excel for Mac's, still set in
        workbooks made there): a date is then written as the days since 1904-01-01, 1462
        fewer than the same date in the 1900 system."""
        pr = self.xml(self.workbook_part()).find(main_tag("workbookPr"))
        return pr is not None and pr.get("date1904", "").strip().lower() in ("1", "true")

    def drop_calc_chain(self) -> None:
        """openpyxl never keeps calcChain either: Excel rebuilds it when it is missing."""
        name = next((n for n in self.names() if n.endswith("calcChain.xml")), None)
        if name is not None:
            self.drop_parts([name])

    def drop_parts(self, names: list[str]) -> None:
        """Remove parts with their content-type overrides and every relationship to them."""
        gone = set(names)
        for name in gone:
            self.drop(name)
            self.drop(rels_of(name))
        types = self.xml("[Content_Types].xml")
        if any(o.get("PartName", "").lstrip("/") in gone for o in types):
            types = self.tree("[Content_Types].xml")
            for override in [o for o in types if o.get("PartName", "").lstrip("/") in gone]:
                types.remove(override)
        for rels_name in [n for n in self.names() if n.endswith(".rels")]:
            source = _source_of(rels_name)
            hits = [
                r.get("Id")
                for r in self.xml(rels_name)
                if r.get("TargetMode") != "External"
                and resolve_target(source, r.get("Target", "")) in gone
            ]
            if hits:  # only parts that change are rewritten
                rels = self.tree(rels_name)
                for r in [r for r in rels if r.get("Id") in hits]:
                    rels.remove(r)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.write_to(out)
        return out.getvalue()

    def open(self, name: str) -> IO[bytes]:
        """A part's bytes as a stream (inflated as it is read)."""
        if name in self.changed:
            return io.BytesIO(self.changed[name])
        return use_zlib_ng(self.zip.open(name))

    def write_to(
        self, out: BinaryIO, streams: dict[str, Stream] | None = None, folder: str | None = None
    ) -> None:
        """The package into `out`: each part in `streams` made by its function as it is read
        (`function(source, write)`) and deflated as it is made, changed parts deflated, every
        other part copied as it is compressed. The styles, which the streams may change, are
        written after them. `folder`: where a part's compressed bytes may spill to disk (the
        workbook's own, so a write needs room nowhere else); the system's temporary folder if
        None."""
        streams = streams or {}
        self.put_trees()
        late = {"xl/styles.xml"} if streams else set()
        with (
            concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="deflate") as pool,
            zipfile.ZipFile(out, "w") as new,
        ):
            infos = [i for i in self.zip.infolist() if i.filename not in self.dropped]
            added = [n for n in self.changed if n not in self.zip.NameToInfo]
            for info in [i for i in infos if i.filename not in late]:
                self._copy(info.filename, new, streams, (pool, folder), info)
            for name in added:
                self._copy(name, new, streams, (pool, folder))
            for info in [i for i in infos if i.filename in late]:
                self._copy(info.filename, new, streams, (pool, folder), info)

    def _copy(
        self,
        name: str,
        new: zipfile.ZipFile,
        streams: dict[str, Stream],
        deflating: tuple[concurrent.futures.Executor, str | None],
        info: zipfile.ZipInfo | None = None,
    ) -> None:
        if name in streams:  # made as it is read, deflated on two threads (DeflatedPart)
            part = DeflatedPart(*deflating)
            try:
                with self.open(name) as source, part as write:
                    streams[name](source, write)
                part.copy_into(new, _fresh_info(name, info))
            finally:
                part.close()
        elif name in self.changed:
            new.writestr(_fresh_info(name, info), self.changed[name])
        elif info is not None:
            copy_raw(self.zip, info, new)
        else:  # neither changed nor in the package: no caller asks for that
            raise KeyError(name)


Stream = Callable[[IO[bytes], Callable[[bytes], object]], None]


Part = TypeVar("Part", bound=IO[bytes])


def use_zlib_ng(part: Part) -> Part:
    """A part being read or written, inflated or deflated by zlib-ng rather than zlib: the
    same deflate format for every reader, and at the same (default) level a 173 MB sheet
    part deflates in 0.85 s to 17.1 MB against 1.26 s to 18.1 MB, and inflates in 0.13 s
    against 0.21 s. zipfile takes no codec of its own, so its reader's or writer's is swapped
    before the first byte; zlib where zlib-ng is not installed, a part is stored, or zipfile
    changes."""
    if zlib_ng is None:
        return part
    internals: Any = part  # zipfile's _ZipWriteFile or ZipExtFile, private attributes
    if isinstance(getattr(part, "_compressor", None), type(zlib.compressobj())):
        internals._compressor = zlib_ng.compressobj(-1, zlib_ng.DEFLATED, -zlib_ng.MAX_WBITS)
    elif isinstance(getattr(part, "_decompressor", None), type(zlib.decompressobj())):
        internals._decompressor = zlib_ng.decompressobj(-zlib_ng.MAX_WBITS)
    return part


class DeflatedPart:
    """A part deflated as it is made, a block at a time on a pool of threads, into a
    temporary file, with its CRC and size (a zip64 member when it needs one). zlib-ng, and
    zlib without it, deflate without holding the interpreter, so two blocks are compressed
    at once while the next rows are made. Each block is primed
    with the 32 kB before it and all but the last end on a sync flush: together they are one
    deflate stream, as pigz makes them (~0.003 % larger than deflating in one go).
    `with part as write:` feeds it, and its last block is compressed on the way out."""

    BLOCK = 1 << 20  # raw bytes a block
    AHEAD = 4  # blocks being compressed at most
    SPILL = 8 << 20  # compressed bytes held in memory before the rest goes to disk
    WINDOW = 1 << 15  # deflate's window: what a block may refer back to

    def __init__(self, pool: concurrent.futures.Executor, folder: str | None = None) -> None:
        """`folder`: where compressed bytes past SPILL go (the workbook's own folder: the
        write needs no room anywhere else); the system's temporary folder if None."""
        self.pool, self.crc, self.size = pool, 0, 0
        self.file = tempfile.SpooledTemporaryFile(self.SPILL, dir=folder)  # noqa: SIM115
        self._buffer, self._before = bytearray(), b""
        self._pending: collections.deque = collections.deque()

    def __enter__(self) -> Callable[[bytes], None]:
        return self.write

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) >= self.BLOCK:
            block = bytes(self._buffer[: self.BLOCK])
            del self._buffer[: self.BLOCK]
            self._submit(block, last=False)

    def _submit(self, block: bytes, last: bool) -> None:
        self._pending.append(self.pool.submit(_deflate_block, block, self._before, last))
        self._before = (self._before + block)[-self.WINDOW :]
        while len(self._pending) > (0 if last else self.AHEAD):
            self.file.write(self._pending.popleft().result())

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self._submit(bytes(self._buffer), last=True)
            self._buffer = bytearray()

    def copy_into(self, out: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """The part into `out` as the member `info`, its compressed bytes copied as they are."""
        info.CRC, info.file_size, info.compress_size = self.crc, self.size, self.file.tell()
        self.file.seek(0)
        _write_member(out, info, iter(lambda: self.file.read(CHUNK), b""))

    def close(self) -> None:
        for block in self._pending:
            block.cancel()
        self.file.close()


def _deflate_block(block: bytes, before: bytes, last: bool) -> bytes:
    """One block of a deflate stream, primed with the bytes `before` it: by zlib-ng where
    it is installed (see `use_zlib_ng`), else by zlib, the same format either way."""
    z = zlib_ng or zlib
    if before:
        deflate = z.compressobj(-1, z.DEFLATED, -z.MAX_WBITS, z.DEF_MEM_LEVEL, 0, before)
    else:
        deflate = z.compressobj(-1, z.DEFLATED, -z.MAX_WBITS)
    return deflate.compress(block) + deflate.flush(z.Z_FINISH if last else z.Z_SYNC_FLUSH)


def _fresh_info(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    """A member to (re)write: the old one's name, time and attributes, always deflated."""
    info = zipfile.ZipInfo(name, like.date_time if like else (1980, 1, 1, 0, 0, 0))
    if like is not None:
        info.external_attr, info.create_system = like.external_attr, like.create_system
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def copy_raw(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """Copy one member's compressed bytes into `out` unchanged: no inflate, no deflate.

    zipfile has no public way to do this. The member's data starts after its local header
    (30 bytes, then the name and an extra field whose lengths that header gives); its size,
    CRC and method are the central directory's, which `info` holds. We write a new local
    header from a copy of `info` (sizes and CRC in the header itself, so the data descriptor
    flag is cleared and none is written; a zip64 extra only when the sizes need one), the
    bytes, and register the entry so `out.close()` lists it in the central directory.
    """
    check_zipfile()
    _copy_raw(source, info, out)


def _copy_raw(source: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    """`copy_raw` without the check of zipfile (which it runs)."""
    if info.flag_bits & 0x1:
        raise PatchUnsupported(f"{info.filename} is encrypted")
    fp = source.fp
    if fp is None:
        raise PatchUnsupported(f"{info.filename}: the package is closed")
    fp.seek(info.header_offset)
    header = struct.unpack(ZIPFILE.structFileHeader, fp.read(ZIPFILE.sizeFileHeader))
    if header[ZIPFILE._FH_SIGNATURE] != ZIPFILE.stringFileHeader:
        raise PatchUnsupported(f"{info.filename}: no local header where the directory says")
    fp.seek(header[ZIPFILE._FH_FILENAME_LENGTH] + header[ZIPFILE._FH_EXTRA_FIELD_LENGTH], 1)
    entry = zipfile.ZipInfo(info.filename, info.date_time)
    for name in ("compress_type", "comment", "create_system", "create_version", "CRC"):
        setattr(entry, name, getattr(info, name))
    for name in ("extract_version", "volume", "internal_attr", "external_attr"):
        setattr(entry, name, getattr(info, name))
    entry.file_size, entry.compress_size = info.file_size, info.compress_size
    entry.flag_bits = info.flag_bits & ~DATA_DESCRIPTOR
    entry.extra = without_zip64(info.extra)

    def chunks():
        left = info.compress_size
        while left:
            chunk = fp.read(min(left, CHUNK))
            if not chunk:
                raise PatchUnsupported(f"{info.filename} is cut off")
            yield chunk
            left -= len(chunk)

    _put_member(out, entry, chunks())


def _write_member(out: zipfile.ZipFile, entry: zipfile.ZipInfo, chunks: Iterator[bytes]) -> None:
    """Write a member whose compressed bytes, CRC and sizes are known (`entry`): a local
    header with them (no data descriptor; a zip64 extra only when the sizes need one), the
    bytes, and the entry registered so `out.close()` lists it in the central directory."""
    check_zipfile()
    _put_member(out, entry, chunks)


def _put_member(out: zipfile.ZipFile, entry: zipfile.ZipInfo, chunks: Iterator[bytes]) -> None:
    zip64 = max(entry.file_size, entry.compress_size) > zipfile.ZIP64_LIMIT
    if out.fp is None:
        raise RuntimeError("a member written raw into a closed package")
    writer: Any = out  # its private attributes (ZIPFILE_NAMES' comment)
    if writer._writing:
        raise RuntimeError("a member written raw while another is being written")
    out.fp.seek(out.start_dir)
    entry.header_offset = out.fp.tell()
    out.fp.write(entry.FileHeader(zip64))
    for chunk in chunks:
        out.fp.write(chunk)
    out.filelist.append(entry)
    out.NameToInfo[entry.filename] = entry
    out.start_dir = out.fp.tell()
    writer._didModify = True


DATA_DESCRIPTOR = 0x08
ZIP64_EXTRA = 1
CHUNK = 1 << 20
# What `copy_raw` and `_write_member` use of zipfile beyond its documented API (checked by
# `check_zipfile`, each tested in tests/test_zipfile_internals.py; present in CPython 3.11 to
# 3.13): the local header's struct format, size and signature and its field indexes, the
# zip64 size limit; and of its objects, ZipFile.fp,
# .start_dir, .filelist, .NameToInfo, ._writing, ._didModify, ZipInfo.FileHeader(zip64),
# .header_offset, and the reader's and writer's ._decompressor and ._compressor
# (`use_zlib_ng`, which leaves zipfile's own zlib in place without them).
ZIPFILE_NAMES = (
    "structFileHeader",
    "sizeFileHeader",
    "stringFileHeader",
    "_FH_SIGNATURE",
    "_FH_FILENAME_LENGTH",
    "_FH_EXTRA_FIELD_LENGTH",
    "ZIP64_LIMIT",
)
EXTRA_FIELD = struct.Struct("<HH")  # an extra field's id and the length of its data


def without_zip64(extra: bytes) -> bytes:
    """A member's extra fields but its zip64 one (`_put_member` writes it again when the
    sizes need it). zipfile's own helper for this is private and was renamed in Python 3.13
    (`_strip_extra`, then `_Extra.strip`): done here. A field cut short is kept as it is."""
    kept, at = [], 0
    while at + EXTRA_FIELD.size <= len(extra):
        kind, length = EXTRA_FIELD.unpack_from(extra, at)
        end = at + EXTRA_FIELD.size + length
        if kind != ZIP64_EXTRA:
            kept.append(extra[at:end])
        at = end
    return b"".join(kept) + extra[at:]


ZIPFILE: Any = zipfile  # its private names, which typeshed does not list


ZIPFILE_BROKE = (AttributeError, TypeError, IndexError, KeyError, ValueError, struct.error)


class ZipfileChanged(BackendError):
    """This Python's zipfile no longer works as the raw copy of a part relies on: said
    before anything is written, never a wrong file."""


@functools.cache
def check_zipfile() -> None:
    """That the zipfile internals the raw copy relies on (ZIPFILE_NAMES and the objects'
    attributes listed above it) are there and work: one member copied raw from a small
    package into another must read back as it was. Run once, at the first raw copy."""
    missing = [name for name in ZIPFILE_NAMES if not hasattr(zipfile, name)]
    problem = f"no zipfile.{', zipfile.'.join(missing)}" if missing else ""
    if not problem:
        try:
            problem = _copied_raw_reads_back()
        except (*ZIPFILE_BROKE, zipfile.BadZipFile, PatchUnsupported, RuntimeError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
    if problem:
        version = ".".join(map(str, sys.version_info[:3]))
        raise ZipfileChanged(
            f"this Python's zipfile ({version}) is not the one the .xlsx write was made for "
            f"({problem}); nothing was written. Run the sync with Python 3.11 to 3.13, or "
            "report it"
        )


def _copied_raw_reads_back() -> str:
    """A member with an extra field, copied raw: "" when it reads back as written."""
    data, source, copy = b"<row/>" * 50, io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as made:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (2026, 1, 1, 0, 0, 0))
        info.compress_type, info.extra = zipfile.ZIP_DEFLATED, b"\x0a\x00\x04\x00abcd"
        made.writestr(info, data)
    with zipfile.ZipFile(source) as read, zipfile.ZipFile(copy, "w") as out:
        _copy_raw(read, read.infolist()[0], out)
    with zipfile.ZipFile(copy) as back:
        if back.testzip() is not None or back.read("xl/worksheets/sheet1.xml") != data:
            return "a member copied raw does not read back"
    return ""


def rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _source_of(rels_name: str) -> str:
    """The part a .rels part describes ("" for the package's own _rels/.rels)."""
    folder = posixpath.dirname(posixpath.dirname(rels_name))
    return posixpath.join(folder, posixpath.basename(rels_name)[: -len(".rels")])


def resolve_target(source: str, target: str) -> str:
    """A relationship's target as a part name, from the part `source` that holds it."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
EXTENDED = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VTYPES = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="' + MAIN.encode() + b'" xmlns:r="' + REL.encode() + b'"><sheetData/>'
    b"</worksheet>"
)


def add_sheet(package: Package, title: str, hidden: bool) -> str:
    """A new, empty worksheet part at the end of the tab list; returns its part name. Listed
    in the workbook, its relationships, the content types and (when it lists them) app.xml."""
    book_part = package.workbook_part()
    number = free_number(package, posixpath.join(posixpath.dirname(book_part), "worksheets/sheet"))
    part = posixpath.join(posixpath.dirname(book_part), f"worksheets/sheet{number}.xml")
    package.add(part, EMPTY_SHEET)
    rel_id = add_relationship(package, book_part, "worksheet", part)
    sheets = package.tree(book_part).find(main_tag("sheets"))
    if sheets is None:
        raise PatchUnsupported("a workbook without its list of sheets")
    ids = [int(s.get("sheetId", 0)) for s in sheets]
    sheet = etree.SubElement(sheets, main_tag("sheet"), name=title, sheetId=str(max([0, *ids]) + 1))
    if hidden:
        sheet.set("state", "hidden")
    sheet.set(f"{{{REL}}}id", rel_id)
    add_override(package, part, WORKSHEET_TYPE)
    _list_title(package, title, len(ids))
    return part


def free_number(package: Package, stem: str) -> int:
    """The first N for which no part `{stem}N.xml` exists."""
    names = set(package.names())
    return next(n for n in range(1, len(names) + 2) if f"{stem}{n}.xml" not in names)


def add_relationship(package: Package, source: str, kind: str, target: str) -> str:
    """A relationship from `source` to the part `target` (type .../`kind`); returns its id."""
    name = rels_of(source)
    if name not in package.names():
        package.add(name, b'<Relationships xmlns="%s"/>' % PKG_REL.encode())
    rels = package.tree(name)
    ids = {r.get("Id") for r in rels}
    rel_id = next(f"rId{n}" for n in range(1, len(ids) + 2) if f"rId{n}" not in ids)
    relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
    etree.SubElement(
        rels,
        f"{{{PKG_REL}}}Relationship",
        Id=rel_id,
        Type=f"{REL}/{kind}",
        Target=relative,
    )
    return rel_id


def add_override(package: Package, part: str, content_type: str) -> None:
    types = package.tree("[Content_Types].xml")
    etree.SubElement(types, f"{{{TYPES}}}Override", PartName=f"/{part}", ContentType=content_type)


def _list_title(package: Package, title: str, sheets_before: int) -> None:
    """app.xml names the worksheets (Excel's file properties): add the new one, but only
    where its first heading counts exactly the worksheets we know; else leave it be. An
    app.xml over a megabyte is no program's: it is left as it is, not parsed (Excel and WPS
    write it again on their next save; nothing reads the titles from it)."""
    if "docProps/app.xml" not in package.names():
        return
    if package.size("docProps/app.xml") > APP_PROPERTIES_MOST:
        return
    root = package.tree("docProps/app.xml")
    pairs = root.find(f"{{{EXTENDED}}}HeadingPairs/{{{VTYPES}}}vector")
    titles = root.find(f"{{{EXTENDED}}}TitlesOfParts/{{{VTYPES}}}vector")
    count = None if pairs is None else pairs.find(f"{{{VTYPES}}}variant[2]/{{{VTYPES}}}i4")
    if titles is None or count is None or count.text != str(sheets_before):
        return
    count.text = str(sheets_before + 1)
    entry = etree.Element(f"{{{VTYPES}}}lpstr")
    entry.text = title
    titles.insert(sheets_before, entry)
    titles.set("size", str(len(titles)))


CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _related(package: Package, part: str, kind: str) -> list[str]:
    """The parts `part` links to with a relationship of type .../`kind`."""
    rels = rels_of(part)
    if rels not in package.names():
        return []
    return [
        resolve_target(part, r.get("Target", ""))
        for r in package.xml(rels)
        if r.get("Type", "").endswith(f"/{kind}")
    ]


def _range(formula: str) -> tuple[int, int, int]:
    """ "'汇总'!$A$5:$A$7" -> (1, 5, 7)."""
    cells = formula.rsplit("!", 1)[-1].replace("$", "").split(":")
    (first, column), (last, _) = split_ref(cells[0]), split_ref(cells[-1])
    return column, first, last


def chart_keys(package: Package, sheet_part: str) -> list[tuple]:
    """What each chart on the sheet shows (Chart.key()), read from its chart part."""
    keys = []
    for drawing in _related(package, sheet_part, "drawing"):
        for part in _related(package, drawing, "chart"):
            root = package.xml(part)
            title = "".join(
                t.text or "" for t in root.iterfind(f".//{{{CHART}}}title//{{{DRAWING_MAIN}}}t")
            )
            for plot in root.iterfind(f".//{{{CHART}}}plotArea/*"):
                tag = etree.QName(plot).localname
                if tag not in ("pieChart", "barChart", "lineChart"):
                    continue
                direction = plot.find(f"{{{CHART}}}barDir")
                kind = (
                    {"pieChart": "pie", "lineChart": "line"}[tag]
                    if tag != "barChart"
                    else (
                        "bar"
                        if direction is not None and direction.get("val") == "bar"
                        else "column"
                    )
                )
                for series in plot.iterfind(f"{{{CHART}}}ser"):
                    cat = series.find(f"{{{CHART}}}cat//{{{CHART}}}f")
                    val = series.find(f"{{{CHART}}}val//{{{CHART}}}f")
                    if cat is not None and val is not None and cat.text and val.text:
                        keys.append((kind, title, _range(cat.text), _range(val.text)))
    return keys


def restore_cached_values(original: bytes, rewritten: bytes) -> bytes:
    """`rewritten` with each formula's last result (<v>) put back from `original`.

    openpyxl keeps people's formulas but drops their results, and calamine reads a formula
    without a result as an empty cell: until someone recalculates in Excel, every row whose
    name or owner is a formula would read as incomplete. The results are the ones Excel last
    computed, as the patch path keeps them; openpyxl marks the workbook to recalculate on open.
    """
    try:
        before, after = Package(original), Package(rewritten)
        old_parts, new_parts = before.sheet_parts(), after.sheet_parts()
        for title, part in new_parts.items():
            results = (
                _formula_results(before.zip.read(old_parts[title])) if title in old_parts else {}
            )
            root = after.xml(part) if results else None
            if root is not None and _put_results(root, results):
                after.put(part, root)
    except (KeyError, StopIteration, etree.LxmlError):  # a package we cannot map: as written
        return rewritten
    return after.save() if after.changed else rewritten


def _formula_results(sheet_xml: bytes) -> dict[str, tuple[str | None, str]]:
    """Cell reference -> (result type, result text) of every formula cell with a result."""
    if b"<f" not in sheet_xml and b":f" not in sheet_xml:  # most sheets: no formula, no parse
        return {}
    results = {}
    for c in etree.fromstring(sheet_xml).iter(main_tag("c")):
        formula, value, ref = c.find(main_tag("f")), c.find(main_tag("v")), c.get("r")
        if formula is not None and value is not None and value.text is not None and ref:
            results[ref] = (c.get("t"), value.text)
    return results


def _put_results(root: etree._Element, results: dict[str, tuple[str | None, str]]) -> bool:
    """Fill in the empty result of each formula cell found in `results`; True if any was."""
    filled = False
    for c in root.iter(main_tag("c")):
        hit = results.get(c.get("r", ""))
        if hit is None or c.find(main_tag("f")) is None:
            continue  # the sync wrote a value here, or the cell was never a formula
        value = c.find(main_tag("v"))
        if value is None:
            value = etree.SubElement(c, main_tag("v"))
        if value.text:
            continue
        kind, value.text = hit
        c.attrib.pop("t", "")
        if kind:
            c.set("t", kind)
        filled = True
    return filled

"""The .xlsx package as parts: reading and replacing a part, finding each sheet's part, the
charts a sheet draws, and putting people's formula results back after openpyxl saved a copy."""

from __future__ import annotations

import io
import posixpath
import zipfile

from lxml import etree
from openpyxl.utils import column_index_from_string

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


class PatchUnsupported(Exception):
    """This package or changeset needs the full openpyxl round trip."""


def _split_ref(ref: str) -> tuple[int, int]:
    letters = ref.rstrip("0123456789")
    return int(ref[len(letters) :]), column_index_from_string(letters)


class _Package:
    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.changed: dict[str, bytes] = {}
        self.dropped: set[str] = set()

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.zip.read(name))

    def put(self, name: str, root: etree._Element) -> None:
        self.changed[name] = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", standalone=True
        )

    def workbook_part(self) -> str:
        rels = self.xml("_rels/.rels")
        target = next(
            r.get("Target") for r in rels if r.get("Type", "").endswith("/officeDocument")
        )
        return target.lstrip("/")

    def sheet_parts(self) -> dict[str, str]:
        book_part = self.workbook_part()
        book = self.xml(book_part)
        rels_name = posixpath.join(
            posixpath.dirname(book_part), "_rels", posixpath.basename(book_part) + ".rels"
        )
        targets = {r.get("Id"): r.get("Target") for r in self.xml(rels_name)}
        base = posixpath.dirname(book_part)
        parts = {}
        for sheet in book.iter(_q("sheet")):
            target = targets[sheet.get(f"{{{REL}}}id")]
            parts[sheet.get("name")] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(base, target))
            )
        return parts

    def check_date_system(self) -> None:
        """Dates are written as 1900-system serials: a 1904 workbook takes the openpyxl path."""
        pr = self.xml(self.workbook_part()).find(_q("workbookPr"))
        if pr is not None and pr.get("date1904") in ("1", "true"):
            raise PatchUnsupported("1904 date system")

    def drop_calc_chain(self) -> None:
        """openpyxl never keeps calcChain either: Excel rebuilds it when it is missing."""
        name = next((n for n in self.zip.namelist() if n.endswith("calcChain.xml")), None)
        if name is None:
            return
        self.dropped.add(name)
        types = self.xml("[Content_Types].xml")
        for override in list(types):
            if override.get("PartName", "").endswith("calcChain.xml"):
                types.remove(override)
        self.put("[Content_Types].xml", types)
        for rels_name in self.zip.namelist():
            if rels_name.endswith(".rels"):
                rels = self.xml(rels_name)
                hits = [r for r in rels if r.get("Target", "").endswith("calcChain.xml")]
                for r in hits:
                    rels.remove(r)
                if hits:
                    self.put(rels_name, rels)

    def save(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as new:
            for info in self.zip.infolist():
                if info.filename in self.dropped:
                    continue
                data = self.changed.get(info.filename)
                if data is None:
                    data = self.zip.read(info.filename)
                new.writestr(info, data, compress_type=info.compress_type)
        return out.getvalue()


CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _rels_of(part: str) -> str:
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def _related(package: _Package, part: str, kind: str) -> list[str]:
    """The parts `part` links to with a relationship of type .../`kind`."""
    rels = _rels_of(part)
    if rels not in package.zip.namelist():
        return []
    base = posixpath.dirname(part)
    return [
        posixpath.normpath(posixpath.join(base, r.get("Target")))
        if not r.get("Target", "").startswith("/")
        else r.get("Target").lstrip("/")
        for r in package.xml(rels)
        if r.get("Type", "").endswith(f"/{kind}")
    ]


def _range(formula: str) -> tuple[int, int, int]:
    """ "'汇总'!$A$5:$A$7" -> (1, 5, 7)."""
    cells = formula.rsplit("!", 1)[-1].replace("$", "").split(":")
    (first, column), (last, _) = _split_ref(cells[0]), _split_ref(cells[-1])
    return column, first, last


def chart_keys(package: _Package, sheet_part: str) -> list[tuple]:
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
                if tag not in ("pieChart", "barChart"):
                    continue
                direction = plot.find(f"{{{CHART}}}barDir")
                kind = (
                    "pie"
                    if tag == "pieChart"
                    else (
                        "bar"
                        if direction is not None and direction.get("val") == "bar"
                        else "column"
                    )
                )
                for series in plot.iterfind(f"{{{CHART}}}ser"):
                    cat = series.find(f"{{{CHART}}}cat//{{{CHART}}}f")
                    val = series.find(f"{{{CHART}}}val//{{{CHART}}}f")
                    if cat is not None and val is not None:
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
        before, after = _Package(original), _Package(rewritten)
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
    for c in etree.fromstring(sheet_xml).iter(_q("c")):
        formula, value = c.find(_q("f")), c.find(_q("v"))
        if formula is not None and value is not None and value.text is not None and c.get("r"):
            results[c.get("r")] = (c.get("t"), value.text)
    return results


def _put_results(root: etree._Element, results: dict[str, tuple[str | None, str]]) -> bool:
    """Fill in the empty result of each formula cell found in `results`; True if any was."""
    filled = False
    for c in root.iter(_q("c")):
        hit = results.get(c.get("r"))
        if hit is None or c.find(_q("f")) is None:
            continue  # the sync wrote a value here, or the cell was never a formula
        value = c.find(_q("v"))
        if value is None:
            value = etree.SubElement(c, _q("v"))
        if value.text:
            continue
        kind, value.text = hit
        c.attrib.pop("t", None)
        if kind:
            c.set("t", kind)
        filled = True
    return filled

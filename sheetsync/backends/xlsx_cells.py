"""One cell as the writer puts it into worksheet XML, and the cell formats it needs.

Shared by every row the patcher rewrites, so a value is written the same way whether its
row is edited, replaced or new: dates get a date format unless the cell already shows one,
`Share` a percentage, `Amount` two decimals with separators, `Heading` bold, text is always
inline text (never a formula); a `Styled` cell (a table cell of a tab the sync lays out) gets
a thin border, and a header's fill, bold and alignment as well.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from dataclasses import dataclass

from lxml import etree
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, to_excel

from sheetsync.backends.xlsx_package import Package, PatchUnsupported, main_tag
from sheetsync.workbook.changes import Amount, Heading, Share

NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")  # lxml refuses these, and says so
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
AMOUNT_FORMAT = "#,##0.00"
TALL_ROW = 30  # points: a header row of two lines
TITLE_SIZE = 13  # points: a table's title
FONT_BEFORE_SIZE = {"b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign"}
HEADER_FILL = "FFDDEBF7"  # the template's header colour
BORDER_COLOUR = "FFBFBFBF"


@dataclass(frozen=True)
class Look:
    """How a table cell looks besides its number format: always a thin border; a header is
    bold on a fill; `right`: aligned right (a column of numbers, its header too)."""

    header: bool = False
    right: bool = False
    tall: bool = False  # a header row some header wraps in: two lines high
    title: bool = False  # a table's title: larger and bold, above the border


@dataclass(frozen=True)
class Styled:
    """A value with its table look; reads back (and compares) as the value alone."""

    value: object
    look: Look


BUILTIN_DATE_FORMATS = set(range(14, 23))
MAX_CELL_TEXT = 32_767  # Excel's limit, in UTF-16 code units: longer text makes it repair the file
ELLIPSIS = "…"


def fit_text(value: object) -> str:
    """Text a cell can hold: the characters XML forbids (control characters, U+FFFE, U+FFFF,
    half a surrogate pair) removed, and anything past Excel's 32,767 characters cut, ending in
    "…" so a reader sees it was cut. Only the sync's own cells are written through this: a
    person's note it copies carries nothing those characters meant."""
    text = NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    units = text.encode("utf-16-le")  # Excel counts UTF-16 units: an emoji is two
    if len(units) <= 2 * MAX_CELL_TEXT:
        return text
    kept = units[: 2 * (MAX_CELL_TEXT - len(ELLIPSIS))]
    return kept.decode("utf-16-le", errors="ignore") + ELLIPSIS  # never half an emoji


def is_non_finite(value: object) -> bool:
    """inf and nan: no spreadsheet number; a cell holding one makes openpyxl refuse the file."""
    return isinstance(value, float) and not math.isfinite(value)


def is_blank(value: object) -> bool:
    return value is None or value == "" or is_non_finite(value)


class Styles:
    """Finds (or adds) the cell formats values need: yyyy-mm-dd dates, percentages, bold.
    Each is added once, and only when a cell needs it; the part is put back on each change."""

    def __init__(self, package: Package) -> None:
        self.package, self.name = package, "xl/styles.xml"
        if self.name not in package.names():
            raise PatchUnsupported("no styles part")
        self.root = package.xml(self.name)
        self.xfs = self.root.find(main_tag("cellXfs"))
        formats = self.root.find(main_tag("numFmts"))
        custom = (
            {}
            if formats is None
            else {int(f.get("numFmtId", "-1")): f.get("formatCode", "") for f in formats}
        )
        self.date_formats = BUILTIN_DATE_FORMATS | {
            i for i, code in custom.items() if _looks_like_date(code)
        }
        self._number_styles: dict[str, str] = {}
        self._bold: str | None = None
        self._looks: dict[tuple, str] = {}
        self._parts: dict[str, str] = {}  # font / fill / border -> its id
        self._formats, self._custom = formats, custom
        self.epoch = CALENDAR_MAC_1904 if package.date1904() else CALENDAR_WINDOWS_1900

    def is_date_style(self, s: str | None) -> bool:
        if s is None or self.xfs is None or int(s) >= len(self.xfs):
            return False
        return int(self.xfs[int(s)].get("numFmtId", "0")) in self.date_formats

    def date_style(self) -> str:
        return self.number_style(DATE_FORMAT)

    def number_style(self, code: str) -> str:
        """A cell format showing numbers as `code` (added once)."""
        if code not in self._number_styles:
            self._number_styles[code] = self._add_number_style(code)
        return self._number_styles[code]

    def bold_style(self) -> str:
        """A cell format with the default font made bold (added once)."""
        if self._bold is None:
            fonts = self.root.find(main_tag("fonts"))
            if fonts is None or self.xfs is None or not len(fonts):
                raise PatchUnsupported("no fonts")
            font = copy.deepcopy(fonts[0])
            for old in font.findall(main_tag("b")):
                font.remove(old)
            font.insert(0, etree.Element(main_tag("b")))
            fonts.append(font)
            fonts.set("count", str(len(fonts)))
            self._bold = self._add_xf(fontId=str(len(fonts) - 1), applyFont="1")
        return self._bold

    def look_style(self, s: str | None, look: Look) -> str:
        """The cell format `s` (its number format kept) with `look` (added once)."""
        fmt_id = "0"
        if s is not None and self.xfs is not None and int(s) < len(self.xfs):
            fmt_id = self.xfs[int(s)].get("numFmtId", "0")
        look = Look(look.header, look.right, title=look.title)  # the height is the row's
        key = (fmt_id, look)
        if key not in self._looks and look.title:
            self._looks[key] = self._add_xf(
                numFmtId=fmt_id, fontId=self._part("title"), applyFont="1"
            )
        if key not in self._looks:
            attributes = {"numFmtId": fmt_id, "borderId": self._part("border")}
            if fmt_id != "0":
                attributes["applyNumberFormat"] = "1"
            if look.header:
                attributes.update(fontId=self._part("font"), fillId=self._part("fill"))
                attributes.update(applyFont="1", applyFill="1")
            xf = self._add_xf(**attributes, applyBorder="1")
            if look.right or look.header:
                element = self._cell_formats()[int(xf)]
                element.set("applyAlignment", "1")
                align = {"horizontal": "right" if look.right else "left", "vertical": "center"}
                if look.header:  # a long header wraps instead of widening its column
                    align["wrapText"] = "1"
                etree.SubElement(element, main_tag("alignment"), align)
            self._looks[key] = xf
        return self._looks[key]

    def _part(self, kind: str) -> str:
        """The id of a bold font, a header fill or a thin border (each added once)."""
        if kind not in self._parts:
            if kind == "font":
                bold = self._cell_formats()[int(self.bold_style())]
                self._parts[kind] = str(int(bold.get("fontId", "0")))
                return self._parts[kind]
            if kind == "title":
                self._parts[kind] = self._title_font()
                return self._parts[kind]
            parent = self.root.find(main_tag(f"{kind}s"))
            if parent is None:
                raise PatchUnsupported(f"no {kind}s")
            parent.append(_fill() if kind == "fill" else _border())
            parent.set("count", str(len(parent)))
            self.package.put(self.name, self.root)
            self._parts[kind] = str(len(parent) - 1)
        return self._parts[kind]

    def _title_font(self) -> str:
        """The bold font at TITLE_SIZE points (added once); its id."""
        fonts = self.root.find(main_tag("fonts"))
        if fonts is None:
            raise PatchUnsupported("no fonts")
        font = copy.deepcopy(fonts[int(self._part("font"))])
        size = font.find(main_tag("sz"))
        if size is None:  # sz follows b, i, strike ... u, vertAlign: after the last of them
            size = etree.Element(main_tag("sz"))
            before = [c for c in font if etree.QName(c).localname in FONT_BEFORE_SIZE]
            if before:
                before[-1].addnext(size)
            else:
                font.insert(0, size)
        size.set("val", str(TITLE_SIZE))
        fonts.append(font)
        fonts.set("count", str(len(fonts)))
        self.package.put(self.name, self.root)
        return str(len(fonts) - 1)

    def _add_number_style(self, code: str) -> str:
        fmt_id = next((i for i, have in self._custom.items() if have == code), None)
        if fmt_id is None:
            fmt_id = max([163, *self._custom]) + 1
            if self._formats is None:
                self._formats = etree.Element(main_tag("numFmts"))
                self.root.insert(0, self._formats)
            etree.SubElement(
                self._formats, main_tag("numFmt"), numFmtId=str(fmt_id), formatCode=code
            )
            self._formats.set("count", str(len(self._formats)))
            self._custom[fmt_id] = code
        return self._add_xf(numFmtId=str(fmt_id), applyNumberFormat="1")

    def _cell_formats(self) -> etree._Element:
        if self.xfs is None:
            raise PatchUnsupported("no cell formats")
        return self.xfs

    def _add_xf(self, **attributes: str) -> str:
        xfs = self._cell_formats()
        base = {"numFmtId": "0", "fontId": "0", "fillId": "0", "borderId": "0", "xfId": "0"}
        etree.SubElement(xfs, main_tag("xf"), {**base, **attributes})
        xfs.set("count", str(len(xfs)))
        self.package.put(self.name, self.root)
        return str(len(xfs) - 1)


def _fill() -> etree._Element:
    fill = etree.Element(main_tag("fill"))
    pattern = etree.SubElement(fill, main_tag("patternFill"), patternType="solid")
    etree.SubElement(pattern, main_tag("fgColor"), rgb=HEADER_FILL)
    etree.SubElement(pattern, main_tag("bgColor"), indexed="64")
    return fill


def _border() -> etree._Element:
    border = etree.Element(main_tag("border"))
    for side in ("left", "right", "top", "bottom"):
        etree.SubElement(
            etree.SubElement(border, main_tag(side), style="thin"),
            main_tag("color"),
            rgb=BORDER_COLOUR,
        )
    etree.SubElement(border, main_tag("diagonal"))
    return border


def _looks_like_date(code: str) -> bool:
    plain = code.split(";")[0].lower()
    return "y" in plain and "d" in plain


def set_cell(c: etree._Element, value: object, styles: Styles) -> None:
    """Put `value` into the cell element `c`; a blank leaves the cell (and its format) empty."""
    if isinstance(value, Styled):
        set_cell(c, value.value, styles)
        c.set("s", styles.look_style(c.get("s"), value.look))
        row = c.getparent()
        if value.look.tall and row is not None:
            row.attrib.update({"ht": str(TALL_ROW), "customHeight": "1"})
        return
    for child in list(c):
        c.remove(child)
    c.attrib.pop("t", "")
    if is_blank(value):
        return
    if isinstance(value, bool):
        c.set("t", "b")
        etree.SubElement(c, main_tag("v")).text = "1" if value else "0"
    elif isinstance(value, (dt.date, dt.datetime)):
        if not styles.is_date_style(c.get("s")):
            c.set("s", styles.date_style())
        etree.SubElement(c, main_tag("v")).text = repr(to_excel(value, styles.epoch))
    elif isinstance(value, (Share, Amount)):
        c.set(
            "s", styles.number_style(PERCENT_FORMAT if isinstance(value, Share) else AMOUNT_FORMAT)
        )
        etree.SubElement(c, main_tag("v")).text = repr(float(value))
    elif isinstance(value, (int, float)):
        etree.SubElement(c, main_tag("v")).text = repr(value)
    else:  # text, always as text: never a formula, whatever it starts with
        if isinstance(value, Heading):
            c.set("s", styles.bold_style())
        c.set("t", "inlineStr")
        text = fit_text(value)
        t = etree.SubElement(etree.SubElement(c, main_tag("is")), main_tag("t"))
        t.text = text
        if text != text.strip():
            t.set(XML_SPACE, "preserve")


def cell_key(value: object) -> object:
    """A cell as it reads back: blanks alike, numbers as floats, midnight datetimes as dates,
    text as it is stored (cut to Excel's limit)."""
    if isinstance(value, Styled):
        value = value.value
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return fit_text(value) if isinstance(value, str) else value


def row_key(row: list) -> tuple:
    """A row as it reads back, trailing blanks dropped: equal keys need no rewrite."""
    key = [cell_key(v) for v in row]
    while key and key[-1] is None:
        key.pop()
    return tuple(key)

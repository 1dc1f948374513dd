"""A tab's layout (`SheetLayout`) in an .xlsx package: the sheet-level XML around the rows.

The streaming writer copies a worksheet's head (everything before `<sheetData>`) and tail
(everything after it) as bytes; for a tab with a layout both are parsed here, small as they
are, and given: the fit-to-page flag (`sheetPr`), the frozen pane (`sheetViews`), column
widths (`cols`), the filter (`autoFilter`), landscape fit-to-width printing (`pageSetup`) and
page breaks (`rowBreaks`); the workbook gets the rows printed on every page
(`_xlnm.Print_Titles`) and the filter's range (`_xlnm._FilterDatabase`). Each element goes in
its place in the schema's order, and what a layout does not name is left as it was.

The same layout is set through openpyxl for a new workbook (`init`) and for the fallback
round trip (`apply_to_sheet`), and a table's cells are marked for the cell writer
(`styled_rows`).
"""

from __future__ import annotations

import re

from lxml import etree
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sheetsync.backends.xlsx_cells import (
    BORDER_COLOUR,
    HEADER_FILL,
    TALL_ROW,
    TITLE_SIZE,
    Look,
    Styled,
)
from sheetsync.backends.xlsx_package import Package, PatchUnsupported, main_tag
from sheetsync.workbook.changes import SheetLayout, text_units

# CT_Worksheet's children, in the order the schema wants them.
ORDER = [
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
    "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState",
    "dataConsolidate", "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting",
    "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
    "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags",
    "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects",
    "controls", "webPublishItems", "tableParts", "extLst",
]  # fmt: skip
MAX_COLUMN = 16_384
DEFAULT_WIDTH = 8.43  # characters: a column nobody sized
# CT_Workbook's children that come after definedNames.
AFTER_NAMES = {
    "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
    "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
}  # fmt: skip
PRINT_TITLES, FILTER_RANGE = "_xlnm.Print_Titles", "_xlnm._FilterDatabase"


def styled_rows(rows: list[list], layout: SheetLayout) -> list[list]:
    """`rows` with each table's header and data cells marked `Styled` (blank ones too: a
    table is bordered all through)."""
    out = [list(r) for r in rows]
    for table in layout.tables:
        title = out[table.title_row - 1]
        if title and not isinstance(title[0], Styled):
            title[0] = Styled(title[0], Look(title=True))
        tall = wraps(rows[table.header_row - 1], layout)
        for number in range(table.header_row, table.last_row + 1):
            row = out[number - 1]
            row += [None] * (table.width - len(row))
            for column in range(1, table.width + 1):
                header = number == table.header_row
                look = Look(header, column in table.right, tall and header)
                row[column - 1] = Styled(row[column - 1], look)
    return out


def wraps(header: list, layout: SheetLayout) -> bool:
    """Whether a header of the row is wider than its column (it wraps: a taller row)."""
    return any(
        text_units(v) + 1 > layout.widths.get(c, DEFAULT_WIDTH)
        for c, v in enumerate(header, start=1)
    )


# --- the worksheet part's head and tail ----------------------------------------------------
def lay_out_head(head: bytes, root_open: bytes, fragment, layout: SheetLayout) -> bytes:
    """The head (prolog, root start tag and what precedes `<sheetData>`) with the layout's
    fit-to-page flag, frozen pane and column widths."""
    start = head.index(root_open) + len(root_open)
    root = fragment(head[start:])
    if layout.landscape:
        sheet_pr = _child(root, "sheetPr")
        setup = sheet_pr.find(main_tag("pageSetUpPr"))
        if setup is None:  # after tabColor and outlinePr: the last of sheetPr's children
            setup = etree.SubElement(sheet_pr, main_tag("pageSetUpPr"))
        setup.set("fitToPage", "1")
    if layout.freeze is not None:
        _freeze(root, *layout.freeze)
    if layout.widths:
        _widths(root, layout.widths, layout.keep_widths)
    return head[:start] + _serialise(root)


def lay_out_tail(tail: bytes, fragment, layout: SheetLayout) -> bytes:
    """The tail (`</sheetData>` to the end) with the filter, landscape printing and breaks."""
    m = re.match(rb"\s*</(?:[\w.-]+:)?sheetData\s*>", tail)
    end = tail.rindex(b"</")
    if m is None:
        raise PatchUnsupported("a worksheet tail without </sheetData>")
    root = fragment(tail[m.end() : end])
    if layout.autofilter is not None and root.find(main_tag("autoFilter")) is None:
        _child(root, "autoFilter").set("ref", layout.filter_ref())
    if layout.landscape:
        setup = _child(root, "pageSetup")
        setup.attrib.update({"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"})
    if layout.breaks:
        _row_breaks(root, layout.breaks)
    return tail[: m.end()] + _serialise(root) + tail[end:]


def _serialise(root: etree._Element) -> bytes:
    text = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    if not len(root):
        return b""
    return text[text.index(b">") + 1 : text.rindex(b"</")]


def _child(root: etree._Element, name: str) -> etree._Element:
    """The root's `name` child, added in its place when missing."""
    found = root.find(main_tag(name))
    if found is not None:
        return found
    element = etree.Element(main_tag(name))
    rank = ORDER.index(name)
    later = next((c for c in root if _rank(c) > rank), None)
    if later is None:
        root.append(element)
    else:
        later.addprevious(element)
    return element


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _rank(element: etree._Element) -> int:
    if not isinstance(element.tag, str):
        return -1
    name = _local(element)
    return ORDER.index(name) if name in ORDER else len(ORDER)


def _freeze(root: etree._Element, rows: int, columns: int) -> None:
    """The first sheet view frozen below `rows` and right of `columns`."""
    views = _child(root, "sheetViews")
    view = views.find(main_tag("sheetView"))
    if view is None:
        view = etree.SubElement(views, main_tag("sheetView"), workbookViewId="0")
    for old in [*view.findall(main_tag("pane")), *view.findall(main_tag("selection"))]:
        view.remove(old)
    active = {(True, True): "bottomRight", (True, False): "bottomLeft"}.get(
        (rows > 0, columns > 0), "topRight"
    )
    pane = etree.Element(main_tag("pane"))
    if columns:
        pane.set("xSplit", str(columns))
    if rows:
        pane.set("ySplit", str(rows))
    pane.set("topLeftCell", f"{get_column_letter(columns + 1)}{rows + 1}")
    pane.attrib.update({"activePane": active, "state": "frozen"})
    view.insert(0, pane)
    pane.addnext(etree.Element(main_tag("selection"), pane=active))


def _widths(root: etree._Element, widths: dict[int, float], keep: bool) -> None:
    """`<col>` widths: each column's own `<col>` attributes kept, ranges split and merged
    again; with `keep`, a column that already has a width keeps it (people sized it)."""
    cols = _child(root, "cols")
    each: dict[int, dict] = {}
    for col in cols:
        low, high = int(col.get("min", 0)), int(col.get("max", 0))
        for column in range(max(low, 1), min(high, MAX_COLUMN) + 1):
            each[column] = dict(col.attrib)
    for column, width in widths.items():
        have = each.get(column, {})
        if keep and "width" in have:
            continue
        each[column] = {**have, "width": f"{width:g}", "customWidth": "1"}
    for col in list(cols):
        cols.remove(col)
    run: list[int] = []
    for column in sorted(each):
        if run and (column != run[-1] + 1 or _plain(each[column]) != _plain(each[run[0]])):
            cols.append(_col(run, each[run[0]]))
            run = []
        run.append(column)
    if run:
        cols.append(_col(run, each[run[0]]))


def _plain(attributes: dict) -> dict:
    return {k: v for k, v in attributes.items() if k not in ("min", "max")}


def _col(run: list[int], attributes: dict) -> etree._Element:
    col = etree.Element(main_tag("col"), min=str(run[0]), max=str(run[-1]))
    for key, value in _plain(attributes).items():
        col.set(key, value)
    return col


def _row_breaks(root: etree._Element, breaks: list[int]) -> None:
    old = root.find(main_tag("rowBreaks"))
    if old is not None:
        root.remove(old)
    element = _child(root, "rowBreaks")
    element.attrib.update({"count": str(len(breaks)), "manualBreakCount": str(len(breaks))})
    for row in breaks:
        etree.SubElement(element, main_tag("brk"), id=str(row), max=str(MAX_COLUMN - 1), man="1")


# --- the workbook part ------------------------------------------------------------------------
def name_ranges(package: Package, title: str, layout: SheetLayout) -> None:
    """The workbook's defined names for the tab: its print titles and its filter's range."""
    names = {}
    if layout.title_rows:
        names[PRINT_TITLES] = f"{quote_sheetname(title)}!$1:${layout.title_rows}"
    if layout.autofilter is not None:
        header, last_row, last_column = layout.autofilter
        letter = get_column_letter(last_column)
        names[FILTER_RANGE] = f"{quote_sheetname(title)}!$A${header}:${letter}${last_row}"
    if not names:
        return
    book = package.tree(package.workbook_part())
    sheets = book.find(main_tag("sheets"))
    if sheets is None:
        raise PatchUnsupported("a workbook without its list of sheets")
    index = next((i for i, s in enumerate(sheets) if s.get("name") == title), None)
    if index is None:
        raise PatchUnsupported(f"no sheet {title} in the workbook")
    defined = book.find(main_tag("definedNames"))
    if defined is None:
        defined = etree.Element(main_tag("definedNames"))
        later = next((c for c in book if _local(c) in AFTER_NAMES), None)
        if later is None:
            book.append(defined)
        else:
            later.addprevious(defined)
    for name, formula in names.items():
        mine = [d for d in defined if d.get("name") == name and d.get("localSheetId") == str(index)]
        if name == FILTER_RANGE and mine:
            continue  # the filter people already have keeps its range
        for old in mine:
            defined.remove(old)
        element = etree.SubElement(defined, main_tag("definedName"), name=name)
        element.set("localSheetId", str(index))
        if name == FILTER_RANGE:
            element.set("hidden", "1")
        element.text = formula


# --- openpyxl (a new workbook, and the fallback round trip) ----------------------------------
THIN = Side(style="thin", color=BORDER_COLOUR)


def apply_to_sheet(sheet: Worksheet, layout: SheetLayout) -> None:
    """The layout set on an openpyxl sheet (its cells already written)."""
    for table in layout.tables:
        sheet.cell(table.title_row, 1).font = Font(bold=True, size=TITLE_SIZE)
        if wraps([c.value for c in sheet[table.header_row]], layout):
            sheet.row_dimensions[table.header_row].height = TALL_ROW
        for number in range(table.header_row, table.last_row + 1):
            for column in range(1, table.width + 1):
                style_cell(
                    sheet.cell(number, column),
                    Look(number == table.header_row, column in table.right),
                )
    for column, width in layout.widths.items():
        dimension = sheet.column_dimensions[get_column_letter(column)]
        if not (layout.keep_widths and dimension.customWidth):
            dimension.width = width
    if layout.freeze is not None:
        rows, columns = layout.freeze
        sheet.freeze_panes = f"{get_column_letter(columns + 1)}{rows + 1}"
    if layout.autofilter is not None and not sheet.auto_filter.ref:
        sheet.auto_filter.ref = layout.filter_ref()
    if layout.landscape:
        print_landscape(sheet)
    if layout.title_rows:
        sheet.print_title_rows = f"1:{layout.title_rows}"
    if layout.breaks:
        sheet.row_breaks = RowBreak(brk=[Break(id=row) for row in layout.breaks])


def style_cell(cell, look: Look) -> None:
    cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    if look.header:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    if look.header or look.right:
        horizontal = "right" if look.right else "left"
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrapText=look.header)


def print_landscape(sheet: Worksheet) -> None:
    """The sheet prints landscape, one page wide and as many pages down as it takes (its
    page setup properties made when it has none)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    if sheet.sheet_properties.pageSetUpPr is None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

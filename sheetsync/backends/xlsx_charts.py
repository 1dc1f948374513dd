"""Charts grafted into a package: the chart and drawing parts written on their own, linked
to the sheet, and the sheet's old drawing removed with everything only it used.

openpyxl's chart and drawing classes serialise the few small parts (the same charts its
round trip would draw); nothing else of the workbook goes through openpyxl.
"""

from __future__ import annotations

from typing import Any

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.xml.functions import tostring

from sheetsync.backends.xlsx_package import (
    Package,
    PatchUnsupported,
    add_override,
    add_relationship,
    chart_keys,
    free_number,
    rels_of,
    resolve_target,
)
from sheetsync.workbook.changes import Chart

CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def draw_charts(package: Package, sheet_part: str, title: str, charts: list[Chart]) -> str | None:
    """Give the sheet exactly `charts`. None when it has them already (left as they are);
    else the relationship id of the new drawing ("" when no chart is left to draw)."""
    if sorted(chart_keys(package, sheet_part)) == sorted(c.key() for c in charts):
        return None
    _remove_drawings(package, sheet_part)
    if not charts:
        return ""
    drawing: Any = SpreadsheetDrawing()  # its _id, _write and _write_rels: openpyxl's own
    for spec in charts:
        chart = build_chart(title, spec)
        chart._id = free_number(package, "xl/charts/chart")
        package.add(chart.path[1:], DECLARATION + tostring(chart._write()))
        add_override(package, chart.path[1:], CHART_TYPE)
        drawing.charts.append(chart)
    drawing._id = free_number(package, "xl/drawings/drawing")
    part = drawing.path[1:]
    package.add(part, DECLARATION + tostring(drawing._write()))
    package.add(rels_of(part), DECLARATION + tostring(drawing._write_rels()))
    add_override(package, part, DRAWING_TYPE)
    return add_relationship(package, sheet_part, "drawing", part)


def _remove_drawings(package: Package, sheet_part: str) -> None:
    """The sheet's drawing, its charts and the parts only a chart uses (style, colours).
    A drawing that also holds pictures or shapes is people's: not ours to redraw here."""
    doomed = []
    for drawing in _targets(package, sheet_part, "drawing"):
        for kind, target in _links(package, drawing):
            if kind != "chart":
                raise PatchUnsupported(f"{drawing} holds more than charts")
            doomed += [target, *(t for _, t in _links(package, target))]
        doomed.append(drawing)
    if doomed:
        package.drop_parts(doomed)


def _links(package: Package, part: str) -> list[tuple[str, str]]:
    """(relationship type's last word, target part) of each internal relationship of `part`."""
    name = rels_of(part)
    if name not in package.names():
        return []
    return [
        (r.get("Type", "").rsplit("/", 1)[-1], resolve_target(part, r.get("Target", "")))
        for r in package.xml(name)
        if r.get("TargetMode") != "External"
    ]


def _targets(package: Package, part: str, kind: str) -> list[str]:
    return [target for k, target in _links(package, part) if k == kind]


def build_chart(sheet_title: str, spec: Chart):
    """A native Excel chart from the spec; categories as text (strRef), axes shown."""
    chart = {"pie": PieChart, "line": LineChart}.get(spec.kind, BarChart)()
    chart.add_data(Reference(range_string=_range(sheet_title, spec.values)))
    ref = _range(sheet_title, spec.categories)
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=ref))
    chart.title = spec.title
    chart.width, chart.height = 11, 8.5  # cm: beside the tables, on a landscape page
    labels = {
        "showVal": False,
        "showCatName": False,
        "showSerName": False,
        "showLegendKey": False,
        "showPercent": False,
    }
    chart.legend = None
    if spec.kind == "pie":
        chart.dataLabels = DataLabelList(**{**labels, "showCatName": True, "showPercent": True})
    else:
        if spec.kind != "line":
            chart.type = "bar" if spec.kind == "bar" else "col"
        chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl 3.1 leaves them hidden
        chart.y_axis.majorGridlines = None
        chart.dataLabels = DataLabelList(**{**labels, "showVal": True})
        if spec.kind == "bar":  # a funnel reads top down: the first stage on top
            chart.x_axis.scaling.orientation = "maxMin"
    row, column = spec.anchor
    chart.anchor = f"{get_column_letter(column)}{row}"
    return chart


def _range(sheet_title: str, cells: tuple[int, int, int]) -> str:
    """(column, first row, last row) -> "'汇总'!$B$5:$B$7"."""
    column, first, last = cells
    letter = get_column_letter(column)
    return f"{quote_sheetname(sheet_title)}!${letter}${first}:${letter}${last}"

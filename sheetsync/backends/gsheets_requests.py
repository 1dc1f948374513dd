"""Building the Sheets API requests of one write: cells placed by customer id at write time,
runs of changed cells stacked into few updateCells, whole-tab rewrites diffed against what was
read, appended rows, charts, and chunks under the API's payload limit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from openpyxl.utils.datetime import to_excel

from sheetsync.errors import ConflictError
from sheetsync.workbook.changes import Amount, CellChange, Chart, Heading, Share, SheetLayout
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import FOLLOWUPS, PEOPLE_COLUMNS
from sheetsync.workbook.tables import load_sheet
from sheetsync.workbook.terms import normalise_header
from sheetsync.workbook.validate import normalise_id

MAX_PAYLOAD = 2_000_000
_SAME_SERIAL = 1e-9  # days: a date/time read back as a serial number is the same below this
_LONG_TAB = 1000  # rows: a tab this long is a log, not one people work in
DATE_FORMAT = {"type": "DATE", "pattern": "yyyy-mm-dd"}
PERCENT_FORMAT = {"type": "PERCENT", "pattern": "0.0%"}
AMOUNT_FORMAT = {"type": "NUMBER", "pattern": "#,##0.00"}
HEADER_FILL = {"red": 0xDD / 255, "green": 0xEB / 255, "blue": 0xF7 / 255}
THIN = {"style": "SOLID", "color": {"red": 0.75, "green": 0.75, "blue": 0.75}}
PIXELS_PER_CHARACTER = 7  # a column width in characters, as Sheets' pixels
# What a laid-out tab's formats are reset to before its tables are formatted again.
TABLE_FORMAT = "userEnteredFormat(backgroundColor,borders,horizontalAlignment,wrapStrategy)"
FIELDS = "userEnteredValue,userEnteredFormat.numberFormat"
TAB_FIELDS = f"{FIELDS},userEnteredFormat.textFormat.bold"  # tabs the sync owns: titles bold
PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)


def quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _rematch(
    title: str,
    grid: list[list],
    headers: list[CellChange],
    cells: list[CellChange],
    watch=None,
):
    """Where each change goes now: its customer's current row, found by id (a customer
    deleted meanwhile is skipped); a sync column whose header is gone stops the write.
    `watch` (gsheets_verify.Watch): leaves out the cells a person changed since the first
    read, and records where the others go, to check them once written."""
    sheet = load_sheet(grid, FOLLOWUPS, title, PEOPLE_KEYS)
    header = grid[sheet.header_row - 1] if sheet.header_row else []
    columns = {normalise_header(h): i for i, h in enumerate(header, start=1) if not is_blank(h)}
    # After whatever is there now, headers or data people keep without one (as the xlsx
    # write places them): never over a column of theirs.
    width = max([*columns.values(), sheet.used_width])
    for change in headers:
        if normalise_header(change.header) not in columns:
            width += 1
            columns[normalise_header(change.header)] = width
            yield sheet.header_row or 1, width, change.new
    if watch is not None:
        watch.begin(grid, sheet.header_row, columns)
    rows_by_id: dict[str, list[int]] = {}
    for cid, number in zip(sheet.frame["customer_id"], sheet.frame["_row"], strict=True):
        rows_by_id.setdefault(normalise_id(cid), []).append(int(number))
    for change in cells:
        column = columns.get(normalise_header(change.header))
        if column is None:
            raise ConflictError.said("column_gone_meanwhile", tab=title, header=change.header)
        rows = rows_by_id.get(change.customer_id, [])
        if change.customer_id and len(rows) == 1:
            row = rows[0]
        elif change.row in rows:  # a blank or duplicated id: only where that row still is
            row = change.row
        else:
            continue
        if watch is None or watch.place(row, column, change):
            yield row, column, change.new


def _renamed(title: str, grid: list[list], renames: list[CellChange]):
    """Header renames, only where the header still reads as planned: a header someone
    changed meanwhile stops the write instead of being overwritten."""
    for change in renames:
        row = grid[change.row - 1] if change.row <= len(grid) else []
        now = row[change.column - 1] if change.column <= len(row) else None
        if normalise_header(now) != normalise_header(change.old):
            raise ConflictError.said("header_changed_meanwhile", tab=title, header=change.old)
        yield change.row, change.column, change.new


def _with_renames(grid: list[list], placed: list[tuple[int, int, object]]) -> list[list]:
    """`grid` with the header renames `placed` (row, column, new header) made: the cells of
    the same write are matched to the headers as they will read (an adopted sheet's 状态
    renamed 状态(手填) is not the sync's 状态)."""
    grid = list(grid)
    for row, column, value in placed:
        grid.extend([] for _ in range(row - len(grid)))
        cells = grid[row - 1] = list(grid[row - 1])
        cells.extend([""] * (column - len(cells)))
        cells[column - 1] = value
    return grid


def _same(new: object, old: object) -> bool:
    """Would writing `new` change a cell that reads back (unformatted) as `old`?"""
    if is_blank(new) or new == "":
        return is_blank(old) or old == ""
    if isinstance(new, (dt.date, dt.datetime)):
        return (
            isinstance(old, (int, float))
            and not isinstance(old, bool)
            and abs(to_excel(new) - old) < _SAME_SERIAL
        )
    if isinstance(new, bool) or isinstance(old, bool):
        return new is old
    if isinstance(new, (int, float)) and isinstance(old, (int, float)):
        return float(new) == float(old)
    return isinstance(old, str) and old == str(new)


def _runs(columns: list[int]) -> Iterator[tuple[int, int]]:
    """[1, 2, 3, 7] -> (1, 3), (7, 7)."""
    start: int | None = None
    prev = 0  # set with `start`
    for c in columns:
        if start is None:
            start = prev = c
        elif c == prev + 1:
            prev = c
        else:
            yield start, prev
            start = prev = c
    if start is not None:
        yield start, prev


def _cell(value: object) -> dict:
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (dt.date, dt.datetime)):
        return {
            "userEnteredValue": {"numberValue": to_excel(value)},
            "userEnteredFormat": {"numberFormat": DATE_FORMAT},
        }
    if isinstance(value, (Share, Amount)):
        shown = PERCENT_FORMAT if isinstance(value, Share) else AMOUNT_FORMAT
        return {
            "userEnteredValue": {"numberValue": float(value)},
            "userEnteredFormat": {"numberFormat": shown},
        }
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, Heading):
        return {
            "userEnteredValue": {"stringValue": str(value)},
            "userEnteredFormat": {"textFormat": {"bold": True}},
        }
    return {"userEnteredValue": {"stringValue": str(value)}}


class Requests:
    """Builds the batchUpdate requests, growing grids and adding tabs as needed."""

    def __init__(self, sheets: dict[str, dict]) -> None:
        self.sheets = {
            t: dict(p, gridProperties=dict(p.get("gridProperties", {}))) for t, p in sheets.items()
        }
        self.structure: list[dict] = []
        self.hidden: set[str] = set()
        self.content: list[dict] = []
        self.appended: list[dict] = []  # last: the sync log's row is there only if all is
        self.next_id = max([p["sheetId"] for p in self.sheets.values()] + [0]) + 1

    def _sheet(self, title: str, columns: int = 26) -> dict:
        if title not in self.sheets:
            props = {
                "sheetId": self.next_id,
                "title": title,
                "gridProperties": {"rowCount": 1000, "columnCount": columns},
            }
            self.next_id += 1
            if title in self.hidden:  # the sync's memory: not a tab people work in
                props["hidden"] = True
            # a copy: the grid grown later (_fit) is grown by appendDimension, not also here
            added = dict(props, gridProperties=dict(props["gridProperties"]))
            self.structure.append({"addSheet": {"properties": added}})
            self.sheets[title] = props
        return self.sheets[title]

    def _fit(self, title: str, rows: int, columns: int) -> int:
        # A long or hidden tab made now gets only the columns it needs: Google counts every cell of
        # the grid, empty ones too, against a spreadsheet's 10 million (a 50,000-row log at
        # 12 columns instead of 26 leaves room for 700,000 cells more).
        snug = rows > _LONG_TAB or title in self.hidden  # not a tab people work in
        props = self._sheet(title, columns if snug else 26)
        grid = props["gridProperties"]
        for dimension, need, key in (
            ("ROWS", rows, "rowCount"),
            ("COLUMNS", columns, "columnCount"),
        ):
            have = grid.get(key, 1000 if key == "rowCount" else 26)
            if need > have:
                self.structure.append(
                    {
                        "appendDimension": {
                            "sheetId": props["sheetId"],
                            "dimension": dimension,
                            "length": need - have,
                        }
                    }
                )
                grid[key] = need
        return props["sheetId"]

    def cell(self, title: str, row: int, column: int, value: object) -> None:
        self.cells(title, [(row, column, value)])

    def cells(self, title: str, placed: list[tuple[int, int, object]]) -> None:
        """One updateCells per block of changed cells: a run of adjacent columns in a row,
        stacked with the same run in the rows below (a daily sync changes 阶段天数 in every
        row: one request, not one per customer)."""
        if not placed:
            return
        sheet_id = self._fit(title, max(r for r, _, _ in placed), max(c for _, c, _ in placed))
        by_row: dict[int, dict[int, object]] = {}
        for r, c, v in placed:
            by_row.setdefault(r, {})[c] = v
        blocks: dict[tuple[int, int], list] = {}  # (start, end) -> [first row, rows]
        open_runs: dict[tuple[int, int], int] = {}  # run -> the row it last grew at
        for row in sorted(by_row):
            values = by_row[row]
            for start, end in _runs(sorted(values)):
                cells = {"values": [_cell(values[c]) for c in range(start, end + 1)]}
                run = (start, end)
                if open_runs.get(run) == row - 1:
                    blocks[run][1].append(cells)
                else:
                    if run in blocks:
                        self._update(sheet_id, run, *blocks.pop(run))
                    blocks[run] = [row, [cells]]
                open_runs[run] = row
        for run, (first, rows) in blocks.items():
            self._update(sheet_id, run, first, rows)

    def _update(self, sheet_id: int, run: tuple[int, int], first: int, rows: list) -> None:
        self.content.append(
            {
                "updateCells": {
                    "start": {
                        "sheetId": sheet_id,
                        "rowIndex": first - 1,
                        "columnIndex": run[0] - 1,
                    },
                    "rows": rows,
                    "fields": FIELDS,
                }
            }
        )

    def replace(self, title: str, rows: list[list], old: list[list] | None) -> None:
        """A whole tab's new content. For a tab that exists, only the cells that differ from
        what was read are sent (a daily sync changes a few rows of a long task log)."""
        if old is None or title not in self.sheets:
            return self._rewrite(title, rows)
        sheet_id = self._fit(title, len(rows), max((len(r) for r in rows), default=1))
        for r in range(len(rows)):
            new_row, old_row = rows[r], old[r] if r < len(old) else []
            width = max(len(new_row), len(old_row))
            padded = list(new_row) + [None] * (width - len(new_row))
            changed = [
                c
                for c in range(width)
                if not _same(padded[c], old_row[c] if c < len(old_row) else None)
            ]
            if changed:  # one request a row, first to last change: a row is written whole
                # or not at all, even when a write of many batchUpdates stops part way (a
                # 同步快照 row half there would make the sync's own cells read as hand edits)
                start, end = changed[0], changed[-1]
                self.content.append(
                    {
                        "updateCells": {
                            "start": {"sheetId": sheet_id, "rowIndex": r, "columnIndex": start},
                            "rows": [{"values": [_cell(v) for v in padded[start : end + 1]]}],
                            "fields": TAB_FIELDS,
                        }
                    }
                )
        if len(old) > len(rows):  # rows the new content no longer has
            self.content.append(
                {
                    "updateCells": {
                        "range": {
                            "sheetId": sheet_id,
                            "startRowIndex": len(rows),
                            "endRowIndex": len(old),
                        },
                        "fields": FIELDS,
                    }
                }
            )

    def _rewrite(self, title: str, rows: list[list]) -> None:
        width = max((len(r) for r in rows), default=1)
        sheet_id = self._fit(title, len(rows), width)
        grid = self.sheets[title]["gridProperties"]
        self.content.append(
            {
                "updateCells": {
                    "range": {
                        "sheetId": sheet_id,
                        "startRowIndex": 0,
                        "endRowIndex": grid["rowCount"],
                        "startColumnIndex": 0,
                        "endColumnIndex": grid["columnCount"],
                    },
                    "rows": [{"values": [_cell(v) for v in row]} for row in rows],
                    "fields": TAB_FIELDS,
                }
            }
        )

    def append(self, title: str, rows: list[list], after: int = 0) -> None:
        """Rows added under the `after` rows the tab has at write time, at that fixed place
        (not appendCells): sent twice, as a retry of a write Google applied unanswered is,
        they land on the same rows, so a sync-log row is never doubled."""
        if not rows:
            return
        width = max((len(r) for r in rows), default=1)
        sheet_id = self._fit(title, after + len(rows), max(width, 1))
        start = {"sheetId": sheet_id, "rowIndex": after, "columnIndex": 0}
        rows_ = [{"values": [_cell(v) for v in row]} for row in rows]
        self.appended.append({"updateCells": {"start": start, "rows": rows_, "fields": FIELDS}})

    def charts(self, title: str, charts: list[Chart], existing: list[dict]) -> None:
        """Charts are redrawn only when what they show differs from what is there (a person
        may move or resize them); never added twice."""
        sheet_id = self._sheet(title)["sheetId"]
        if sorted(_chart_key(c, sheet_id) for c in existing) == sorted(c.key() for c in charts):
            return
        for old in existing:
            self.content.append({"deleteEmbeddedObject": {"objectId": old["chartId"]}})
        for chart in charts:
            self.content.append({"addChart": {"chart": _chart_spec(sheet_id, chart)}})

    def layout(self, title: str, layout: SheetLayout) -> None:
        """The tab's frozen rows and columns, filter, column widths and tables (after its
        cells: a table's header is bold and filled whatever its cells were given)."""
        self.content += layout_requests(self._sheet(title)["sheetId"], layout)

    def chunks(self, reserve: int = 0) -> list[list[dict]]:
        """The batchUpdates, each leaving `reserve` bytes for what the write adds to it
        (its progress record). Appended rows go last (after charts and layouts)."""
        return _chunks([*self.structure, *self.content, *self.appended], reserve)


def layout_requests(sheet_id: int, layout: SheetLayout) -> list[dict]:
    """A SheetLayout as Sheets requests. Printing (landscape, fit to width, page breaks) is
    not in the Sheets API: it is chosen in the print dialog."""
    found = []
    if layout.freeze is not None:
        rows, columns = layout.freeze
        grid = {"frozenRowCount": rows, "frozenColumnCount": columns}
        found.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": grid},
                    "fields": "gridProperties.frozenRowCount,gridProperties.frozenColumnCount",
                }
            }
        )
    if layout.autofilter is not None:
        header, _, last_column = layout.autofilter
        area = {"sheetId": sheet_id, "startRowIndex": header - 1}  # every row, later ones too
        area.update(startColumnIndex=0, endColumnIndex=last_column)
        found.append({"setBasicFilter": {"filter": {"range": area}}})
    if not layout.keep_widths:  # Sheets does not say which widths people set: theirs stay
        for column, width in sorted(layout.widths.items()):
            found.append(_column_width(sheet_id, column, width))
    if layout.tables:
        found.append(_format({"sheetId": sheet_id}, {}, TABLE_FORMAT))  # last run's tables
    for table in layout.tables:
        found += _table_formats(sheet_id, table)
    return found


def _column_width(sheet_id: int, column: int, width: float) -> dict:
    span = {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": column - 1}
    span["endIndex"] = column
    return {
        "updateDimensionProperties": {
            "range": span,
            "properties": {"pixelSize": int(round(width * PIXELS_PER_CHARACTER + 5))},
            "fields": "pixelSize",
        }
    }


def _area(sheet_id: int, rows: tuple[int, int], columns: tuple[int, int]) -> dict:
    """1-based, inclusive rows and columns as a GridRange."""
    return {
        "sheetId": sheet_id,
        "startRowIndex": rows[0] - 1,
        "endRowIndex": rows[1],
        "startColumnIndex": columns[0] - 1,
        "endColumnIndex": columns[1],
    }


def _format(area: dict, look: dict, fields: str) -> dict:
    return {"repeatCell": {"range": area, "cell": {"userEnteredFormat": look}, "fields": fields}}


def _table_formats(sheet_id: int, table) -> list[dict]:
    """Borders all through, the header row filled, bold and wrapped, numbers right."""
    header = (table.header_row, table.header_row)
    everything = _area(sheet_id, (table.header_row, table.last_row), (1, table.width))
    borders = {side: THIN for side in ("top", "bottom", "left", "right")}
    found = [
        {
            "updateBorders": {
                "range": everything,
                **borders,
                "innerHorizontal": THIN,
                "innerVertical": THIN,
            }
        },
        _format(
            _area(sheet_id, header, (1, table.width)),
            {"backgroundColor": HEADER_FILL, "textFormat": {"bold": True}, "wrapStrategy": "WRAP"},
            "userEnteredFormat(backgroundColor,textFormat,wrapStrategy)",
        ),
    ]
    for column in sorted(table.right):
        area = _area(sheet_id, (table.header_row, table.last_row), (column, column))
        found.append(
            _format(area, {"horizontalAlignment": "RIGHT"}, "userEnteredFormat.horizontalAlignment")
        )
    return found


def _grid_range(sheet_id: int, cells: tuple[int, int, int]) -> dict:
    column, first, last = cells
    return {
        "sheetId": sheet_id,
        "startRowIndex": first - 1,
        "endRowIndex": last,
        "startColumnIndex": column - 1,
        "endColumnIndex": column,
    }


CHART_TYPES = {"bar": "BAR", "column": "COLUMN", "line": "LINE"}


def _chart_spec(sheet_id: int, chart: Chart) -> dict:
    def source(cells):
        return {"sourceRange": {"sources": [_grid_range(sheet_id, cells)]}}

    if chart.kind == "pie":
        spec = {
            "pieChart": {
                "legendPosition": "LABELED_LEGEND",
                "domain": source(chart.categories),
                "series": source(chart.values),
            }
        }
    else:
        bar = chart.kind == "bar"
        spec = {
            "basicChart": {
                "chartType": CHART_TYPES[chart.kind],
                "legendPosition": "NO_LEGEND",
                "headerCount": 0,
                "domains": [{"domain": source(chart.categories)}],
                "series": [
                    {
                        "series": source(chart.values),
                        "targetAxis": "BOTTOM_AXIS" if bar else "LEFT_AXIS",
                        "dataLabel": {"type": "DATA"},
                    }
                ],
            }
        }
    row, column = chart.anchor
    anchor = {"sheetId": sheet_id, "rowIndex": row - 1, "columnIndex": column - 1}
    return {
        "spec": {"title": chart.title, **spec},
        "position": {
            "overlayPosition": {"anchorCell": anchor, "widthPixels": 600, "heightPixels": 320}
        },
    }


def _chart_key(chart: dict, sheet_id: int) -> tuple:
    """Chart.key() of a chart read from the spreadsheet's metadata."""
    spec = chart.get("spec", {})

    def cells(source: dict) -> tuple | None:
        ranges = source.get("sourceRange", {}).get("sources", [])
        if len(ranges) != 1 or ranges[0].get("sheetId", 0) != sheet_id:
            return None
        r = ranges[0]
        return (
            r.get("startColumnIndex", 0) + 1,
            r.get("startRowIndex", 0) + 1,
            r.get("endRowIndex", 0),
        )

    if "pieChart" in spec:
        pie = spec["pieChart"]
        return (
            "pie",
            spec.get("title", ""),
            cells(pie.get("domain", {})),
            cells(pie.get("series", {})),
        )
    basic = spec.get("basicChart", {})
    kind = {v: k for k, v in CHART_TYPES.items()}.get(basic.get("chartType"), "other")
    domains, series = basic.get("domains", [{}]), basic.get("series", [{}])
    return (
        kind,
        spec.get("title", ""),
        cells(domains[0].get("domain", {})),
        cells(series[0].get("series", {})) if len(series) == 1 else None,
    )


def _sent_size(obj: object) -> int:
    """Bytes `obj` takes in a request body as sent: gspread hands it to requests' `json=`,
    which escapes every non-ASCII character (\\uXXXX, 6 bytes for a Chinese one)."""
    return len(json.dumps(obj))


BATCH = _sent_size({"requests": []})
MARGIN = 64  # a piece's row or column numbers may take a few more digits than measured


def _chunks(requests_: list[dict], reserve: int = 0) -> list[list[dict]]:
    """All requests in one batch, split only when the body as sent passes MAX_PAYLOAD less
    `reserve` (Google recommends 2 MB at most and refuses 10 MiB): an updateCells too large
    alone is cut into pieces of rows (of cells, for one huge row), each written where it
    belongs."""
    limit = MAX_PAYLOAD - reserve
    out: list[list[dict]] = []
    current: list[dict] = []
    size = BATCH
    for request in _pieces(requests_, limit - BATCH - MARGIN):
        length = _sent_size(request) + (2 if current else 0)  # ", " between requests
        if current and size + length > limit:
            out.append(current)
            current, size, length = [], BATCH, length - 2
        current.append(request)
        size += length
    return [*out, current] if current else out


def _pieces(requests_: list[dict], room: int):
    for request in requests_:
        if "updateCells" in request and _sent_size(request) > room:
            yield from _split(request["updateCells"], room)
        else:
            yield request  # whatever else is small (formats, charts, tabs)


def _split(args: dict, room: int):
    """An updateCells as several, each under `room` bytes: by rows, or by cells of a row."""
    rows = args.get("rows", [])
    if len(rows) > 1:
        base = _sent_size({"updateCells": dict(args, rows=[])}) + 16  # a longer rowIndex
        groups = _groups([_sent_size(r) for r in rows], base, room)
        if len(groups) == 1:  # measured to fit, yet too large: halves, so it always ends
            groups = [(0, len(rows) // 2), (len(rows) // 2, len(rows))]
        for first, end in groups:
            piece = _part(args, "row", first, end, end == len(rows))
            piece["rows"] = rows[first:end]
            yield from _pieces([{"updateCells": piece}], room)
        return
    cells = rows[0].get("values", []) if rows else []
    if len(cells) <= 1:  # one cell: sent as it is (a cell holds 50,000 characters at most)
        yield {"updateCells": args}
        return
    base = _sent_size({"updateCells": dict(args, rows=[{"values": []}])}) + 16
    for first, end in _groups([_sent_size(c) for c in cells], base, room):
        piece = _part(args, "column", first, end, end == len(cells))
        piece["rows"] = [{"values": cells[first:end]}]
        yield {"updateCells": piece}


def _groups(sizes: list[int], base: int, room: int) -> list[tuple[int, int]]:
    """[first, end) runs of `sizes` that fit `room` with `base` and the ", " between."""
    groups, first, size = [], 0, base
    for i, length in enumerate(sizes):
        if i > first and size + length + 2 > room:
            groups.append((first, i))
            first, size = i, base
        size += length + 2
    return [*groups, (first, len(sizes))]


def _part(args: dict, axis: str, first: int, end: int, last: bool) -> dict:
    """The updateCells `args` for its rows (or cells) [first, end): moved down (or right) by
    `first`; a `range` one clears only its own part of the range, the last part the rest."""
    piece = dict(args)
    if "start" in args:
        key = "rowIndex" if axis == "row" else "columnIndex"
        piece["start"] = dict(args["start"], **{key: args["start"].get(key, 0) + first})
        return piece
    what = "Row" if axis == "row" else "Column"
    area = dict(args["range"])
    origin = area.get(f"start{what}Index", 0)
    area[f"start{what}Index"] = origin + first
    if not last:  # the last part keeps the range's own end (or none: the grid's)
        area[f"end{what}Index"] = origin + end
    piece["range"] = area
    return piece

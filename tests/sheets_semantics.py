"""What Google Sheets does with what is typed and with what people do in the browser, for the
fake (tests/sheets_fake.py): kept apart so the fake's HTTP side stays readable.

- **Typed values** (valueInputOption USER_ENTERED, or a person typing): "2026-11-17" and
  "2026/11/17" become date serial numbers shown as typed; "0042" the number 42;
  "2,000,000.01" a number shown with thousands separators; "12.5%" 0.125 shown as a percent;
  TRUE/FALSE booleans; "=..." a formula; a leading ' keeps the rest as text.
- **Rendering** (valueRenderOption, dateTimeRenderOption): UNFORMATTED_VALUE gives numbers
  (dates as serials, or as their shown text with FORMATTED_STRING), FORMATTED_VALUE the text
  shown in the cell, FORMULA the formula typed (other cells as UNFORMATTED_VALUE).
- **Formulas** are computed when read, by a small evaluator: numbers, "text", cell references
  and ranges on the same tab, + - * / & and comparisons, parentheses, and SUM, MIN, MAX,
  AVERAGE, COUNT, IF, HYPERLINK (its label), CONCATENATE. Anything else reads "#NAME?", as
  Google's unknown function; a division by zero "#DIV/0!".
- **Browser actions** as batchUpdate requests: sortRange (empty cells last, numbers before
  text, text case-insensitive), insertDimension, deleteDimension, mergeCells (the top-left
  value kept, the others cleared) and unmergeCells. Cells move; protected ranges, rules and
  formats recorded by the fake do not (Google moves them too: not modelled).
"""

from __future__ import annotations

import datetime as dt
import re

EPOCH = dt.date(1899, 12, 30)  # Sheets' (and Excel's) day 0
DATE_FORMATS = (  # what a person types -> the pattern Sheets then shows it with
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "yyyy-mm-dd"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "yyyy/mm/dd"),
    (re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), "yyyy.mm.dd"),
)
NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def serial(day: dt.date) -> int:
    return (day - EPOCH).days


def typed(text: object) -> dict | None:
    """The cell Sheets stores for `text` entered as a person types it (USER_ENTERED)."""
    if not isinstance(text, str):
        if text is None or text == "":
            return None
        kind = "boolValue" if isinstance(text, bool) else "numberValue"
        return {"v": text, "kind": kind}
    if text == "":
        return None
    if text.startswith("'"):
        return {"v": text[1:], "kind": "stringValue"}
    if text.startswith("="):
        return {"v": "", "formula": text}
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return {"v": stripped.upper() == "TRUE", "kind": "boolValue"}
    for pattern, shown in DATE_FORMATS:
        match = pattern.fullmatch(stripped)
        if match:
            try:
                day = dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
            look = {"type": "DATE", "pattern": shown}
            return {"v": serial(day), "date": True, "kind": "numberValue", "number_format": look}
    percent = stripped.endswith("%") and NUMBER.fullmatch(stripped[:-1])
    if percent:
        value = float(stripped[:-1].replace(",", "")) / 100
        return {"v": value, "kind": "numberValue", "number_format": PERCENT}
    if NUMBER.fullmatch(stripped):
        value = float(stripped.replace(",", ""))
        value = int(value) if value.is_integer() else value
        found = {"v": value, "kind": "numberValue"}
        if "," in stripped:
            found["number_format"] = {"type": "NUMBER", "pattern": "#,##0.00"}
        return found
    return {"v": text, "kind": "stringValue"}


PERCENT = {"type": "PERCENT", "pattern": "0.00%"}


# --- rendering -----------------------------------------------------------------------------
def render(sheet, r: int, c: int, cell: dict, how: str, dates: str):
    """One cell as a values read answers it."""
    if "formula" in cell:
        if how == "FORMULA":
            return cell["formula"]
        value = evaluate(sheet, cell["formula"][1:], {(r, c)})
        return shown(value, cell) if how == "FORMATTED_VALUE" else value
    value = cell.get("v", "")
    if how == "FORMATTED_VALUE":
        return shown(value, cell)
    if cell.get("date") and dates == "FORMATTED_STRING" and how != "FORMULA":
        return shown(value, cell)
    return value


def shown(value, cell: dict) -> str:
    """The text a cell shows (FORMATTED_VALUE)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    look = cell.get("number_format") or {}
    pattern = look.get("pattern", "")
    if look.get("type") in ("DATE", "DATE_TIME") or cell.get("date"):
        day = EPOCH + dt.timedelta(days=int(value))
        text = (pattern or "yyyy-mm-dd").replace("yyyy", f"{day.year:04d}")
        return text.replace("mm", f"{day.month:02d}").replace("dd", f"{day.day:02d}")
    if look.get("type") == "PERCENT" or pattern.endswith("%"):
        places = len(pattern.partition(".")[2].rstrip("%")) if "." in pattern else 0
        return f"{value * 100:.{places}f}%"
    if pattern.startswith("#,##0"):
        places = len(pattern.partition(".")[2]) if "." in pattern else 0
        return f"{value:,.{places}f}"
    return _general(value)


def _general(value: float) -> str:
    """Sheets' automatic number format: integers without a point, others as few digits as
    it takes (1.5, 0.0009765625)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


# --- formulas --------------------------------------------------------------------------------
TOKEN = re.compile(
    r'\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<text>"(?:[^"]|"")*")|'
    r"(?P<range>\$?[A-Z]+\$?\d+:\$?[A-Z]+\$?\d+)|(?P<ref>\$?[A-Z]+\$?\d+)|"
    r"(?P<name>[A-Z][A-Z0-9.]*)(?=\s*\()|(?P<op><>|<=|>=|[-+*/&(),=<>]))"
)


class FormulaError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def evaluate(sheet, formula: str, seen: set):
    """The value of `formula` (without its "="), or Google's error text for it."""
    try:
        tokens = _tokens(formula)
        value, rest = _expression(sheet, tokens, seen)
        if rest:
            raise FormulaError("#ERROR!")
        return value
    except FormulaError as error:
        return error.code


def _tokens(formula: str) -> list[tuple[str, str]]:
    found, at = [], 0
    while at < len(formula.rstrip()):
        match = TOKEN.match(formula, at)
        if not match or match.end() == at:
            raise FormulaError("#ERROR!")
        found.append((match.lastgroup, match.group(match.lastgroup)))
        at = match.end()
    return found


COMPARE = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _expression(sheet, tokens, seen):
    left, tokens = _concat(sheet, tokens, seen)
    while tokens and tokens[0][1] in COMPARE:
        op = tokens[0][1]
        right, tokens = _concat(sheet, tokens[1:], seen)
        left = COMPARE[op](left, right)
    return left, tokens


def _concat(sheet, tokens, seen):
    left, tokens = _sum(sheet, tokens, seen)
    while tokens and tokens[0][1] == "&":
        right, tokens = _sum(sheet, tokens[1:], seen)
        left = _text(left) + _text(right)
    return left, tokens


def _sum(sheet, tokens, seen):
    left, tokens = _product(sheet, tokens, seen)
    while tokens and tokens[0][1] in "+-" and tokens[0][0] == "op":
        op = tokens[0][1]
        right, tokens = _product(sheet, tokens[1:], seen)
        left = _number(left) + _number(right) if op == "+" else _number(left) - _number(right)
    return left, tokens


def _product(sheet, tokens, seen):
    left, tokens = _unary(sheet, tokens, seen)
    while tokens and tokens[0][1] in ("*", "/"):
        op = tokens[0][1]
        right, tokens = _unary(sheet, tokens[1:], seen)
        if op == "*":
            left = _number(left) * _number(right)
        elif _number(right) == 0:
            raise FormulaError("#DIV/0!")
        else:
            left = _number(left) / _number(right)
        left = int(left) if isinstance(left, float) and left.is_integer() else left
    return left, tokens


def _unary(sheet, tokens, seen):
    if tokens and tokens[0][1] == "-":
        value, tokens = _unary(sheet, tokens[1:], seen)
        return -_number(value), tokens
    return _atom(sheet, tokens, seen)


def _atom(sheet, tokens, seen):
    if not tokens:
        raise FormulaError("#ERROR!")
    (kind, text), rest = tokens[0], tokens[1:]
    if kind == "number":
        value = float(text)
        return (int(value) if value.is_integer() else value), rest
    if kind == "text":
        return text[1:-1].replace('""', '"'), rest
    if kind == "ref":
        return _cell(sheet, text, seen), rest
    if kind == "range":
        return _cells(sheet, text, seen), rest
    if kind == "name":
        return _call(sheet, text, rest, seen)
    if text == "(":
        value, rest = _expression(sheet, rest, seen)
        if not rest or rest[0][1] != ")":
            raise FormulaError("#ERROR!")
        return value, rest[1:]
    raise FormulaError("#ERROR!")


def _call(sheet, name: str, tokens, seen):
    tokens = tokens[1:]  # "("
    args = []
    while tokens and tokens[0][1] != ")":
        value, tokens = _expression(sheet, tokens, seen)
        args.append(value)
        if tokens and tokens[0][1] == ",":
            tokens = tokens[1:]
    if not tokens:
        raise FormulaError("#ERROR!")
    return _function(name, args), tokens[1:]


def _function(name: str, args: list):
    flat = [v for a in args for v in (a if isinstance(a, list) else [a])]
    numbers = [v for v in flat if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if name == "SUM":
        return sum(numbers)
    if name in ("MIN", "MAX"):
        return (min if name == "MIN" else max)(numbers) if numbers else 0
    if name == "AVERAGE":
        if not numbers:
            raise FormulaError("#DIV/0!")
        return sum(numbers) / len(numbers)
    if name == "COUNT":
        return len(numbers)
    if name == "IF":
        return args[1] if args[0] else (args[2] if len(args) > 2 else False)
    if name == "HYPERLINK":
        return args[-1]
    if name == "CONCATENATE":
        return "".join(_text(v) for v in flat)
    raise FormulaError("#NAME?")


def _number(value) -> float:
    if value in ("", None):
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    raise FormulaError("#VALUE!")


def _text(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _cell(sheet, ref: str, seen: set):
    r, c = a1_cell(ref.replace("$", ""))
    if (r, c) in seen:
        raise FormulaError("#REF!")
    cell = sheet.cells.get((r, c))
    if not cell:
        return ""
    if "formula" in cell:
        value = evaluate(sheet, cell["formula"][1:], seen | {(r, c)})
        if isinstance(value, str) and value.startswith("#"):
            raise FormulaError(value)
        return value
    return cell.get("v", "")


def _cells(sheet, ref: str, seen: set) -> list:
    first, last = (a1_cell(part.replace("$", "")) for part in ref.split(":"))
    return [
        _cell(sheet, f"{letters(c + 1)}{r + 1}", seen)
        for r in range(first[0], last[0] + 1)
        for c in range(first[1], last[1] + 1)
    ]


# --- A1 ------------------------------------------------------------------------------------
def letters(n: int) -> str:  # 1-based
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def column_index(text: str) -> int:  # 0-based
    n = 0
    for ch in text.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1_cell(ref: str) -> tuple[int, int]:
    """ "C2" -> (1, 2), 0-based row and column."""
    match = re.fullmatch(r"([A-Za-z]+)(\d+)", ref)
    if not match:
        raise ValueError(ref)
    return int(match.group(2)) - 1, column_index(match.group(1))


def a1_area(ref: str, rows: int, cols: int) -> tuple[int, int, int, int]:
    """An A1 range ("B2:D4", "A:A", "2:3", "C5") as 0-based [r0, r1) x [c0, c1), clipped
    to the grid, as Google reads it."""
    first, _, last = ref.partition(":")
    last = last or first

    def corner(part: str, end: bool) -> tuple[int, int]:
        match = re.fullmatch(r"\$?([A-Za-z]*)\$?(\d*)", part)
        if not match or not (match.group(1) or match.group(2)):
            raise ValueError(ref)
        column = column_index(match.group(1)) if match.group(1) else (cols - 1 if end else 0)
        row = int(match.group(2)) - 1 if match.group(2) else (rows - 1 if end else 0)
        return row, column

    (r0, c0), (r1, c1) = corner(first, False), corner(last, True)
    return r0, min(r1, rows - 1) + 1, c0, min(c1, cols - 1) + 1


# --- what people do in the browser ------------------------------------------------------------
def insert_dimension(sheet, span: dict) -> None:
    start, end = span["startIndex"], span["endIndex"]
    n = end - start
    rows = span["dimension"] == "ROWS"
    moved = {}
    for (r, c), cell in sheet.cells.items():
        at = r if rows else c
        if at >= start:
            r, c = (r + n, c) if rows else (r, c + n)
        moved[(r, c)] = cell
    sheet.cells = moved
    if rows:
        sheet.rows += n
    else:
        sheet.cols += n


def delete_dimension(sheet, span: dict) -> None:
    rows = span["dimension"] == "ROWS"
    start = span.get("startIndex", 0)
    end = span.get("endIndex", sheet.rows if rows else sheet.cols)
    n = end - start
    moved = {}
    for (r, c), cell in sheet.cells.items():
        at = r if rows else c
        if start <= at < end:
            continue
        if at >= end:
            r, c = (r - n, c) if rows else (r, c - n)
        moved[(r, c)] = cell
    sheet.cells = moved
    if rows:
        sheet.rows -= n
    else:
        sheet.cols -= n


def sort_range(sheet, args: dict) -> None:
    area = args["range"]
    r0, r1 = area.get("startRowIndex", 0), area.get("endRowIndex", sheet.rows)
    c0, c1 = area.get("startColumnIndex", 0), area.get("endColumnIndex", sheet.cols)
    rows = [
        {c: sheet.cells[(r, c)] for c in range(c0, c1) if (r, c) in sheet.cells}
        for r in range(r0, r1)
    ]
    for spec in reversed(args.get("sortSpecs", [])):  # stable: the last key first
        column = spec.get("dimensionIndex", 0)
        filled = [row for row in rows if row.get(column)]
        filled.sort(
            key=lambda row, k=column: _sort_key(row[k]),
            reverse=spec.get("sortOrder") == "DESCENDING",
        )
        rows = filled + [row for row in rows if not row.get(column)]  # empty cells last
    for key in [k for k in sheet.cells if r0 <= k[0] < r1 and c0 <= k[1] < c1]:
        del sheet.cells[key]
    for i, row in enumerate(rows):
        for c, cell in row.items():
            sheet.cells[(r0 + i, c)] = cell


def _sort_key(cell: dict) -> tuple:
    value = cell.get("v", "")
    if isinstance(value, bool):
        return (2, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (1, 0, str(value).lower())


def merge_cells(sheet, args: dict) -> None:
    area = args["range"]
    r0, r1 = area["startRowIndex"], area["endRowIndex"]
    c0, c1 = area["startColumnIndex"], area["endColumnIndex"]
    how = args.get("mergeType", "MERGE_ALL")
    groups = (
        [(r0, r1, c0, c1)]
        if how == "MERGE_ALL"
        else [(r0, r1, c, c + 1) for c in range(c0, c1)]
        if how == "MERGE_COLUMNS"
        else [(r, r + 1, c0, c1) for r in range(r0, r1)]
    )
    for a, b, c, d in groups:
        for key in [k for k in sheet.cells if a <= k[0] < b and c <= k[1] < d and k != (a, c)]:
            del sheet.cells[key]
        sheet.merges.append(
            {
                "sheetId": sheet.sheet_id,
                "startRowIndex": a,
                "endRowIndex": b,
                "startColumnIndex": c,
                "endColumnIndex": d,
            }
        )


def unmerge_cells(sheet, args: dict) -> None:
    area = args["range"]

    def meets(m: dict) -> bool:
        return not (
            m["endRowIndex"] <= area.get("startRowIndex", 0)
            or m["startRowIndex"] >= area.get("endRowIndex", sheet.rows)
            or m["endColumnIndex"] <= area.get("startColumnIndex", 0)
            or m["startColumnIndex"] >= area.get("endColumnIndex", sheet.cols)
        )

    sheet.merges = [m for m in sheet.merges if not meets(m)]

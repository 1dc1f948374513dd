"""Distil gspread's recorded Sheets API sessions into the facts tests/sheets_fake.py must honour.

gspread's test cassettes (github.com/burnash/gspread, tests/cassettes/*.json) are real
exchanges with Google. This script reads them from a git directory and keeps only *facts* the
sync relies on, in our own compact words (tests/data/sheets_api_facts.json): no request or
answer is copied. tests/test_sheets_fake_facts.py checks the fake against every fact.

    python3 scripts/distil_gspread_cassettes.py /path/to/gspread.git > tests/data/sheets_api_facts.json

Facts kept:
- `typed`: a value put in one cell with valueInputOption RAW or USER_ENTERED, read straight
  back with a render option (FORMATTED_VALUE, UNFORMATTED_VALUE, FORMULA) and
  dateTimeRenderOption: what Google stored for what was typed;
- `fresh_sheet`: a new spreadsheet's first tab (title, id, rows, columns);
- `tab_named_in_answers`: how an answer names a tab (quoted or not);
- `replies`: which batchUpdate requests answer with a reply of their own (the rest: {});
- `errors`: the status and status word of each error answer, by what was asked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from urllib.parse import parse_qs, unquote, urlparse

CASSETTES = "tests/cassettes"


def cassettes(git_dir: str):
    names = subprocess.run(
        ["git", f"--git-dir={git_dir}", "ls-tree", "-r", "--name-only", "HEAD", CASSETTES],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        text = subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"HEAD:{name}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        yield name, json.loads(text)


def exchanges(cassette: dict):
    """(method, kind, cell range, query, sent JSON, status, answered JSON) of the Sheets calls."""
    for it in cassette.get("interactions", []):
        url = urlparse(it["request"]["uri"])
        if url.netloc != "sheets.googleapis.com":
            continue
        path = unquote(url.path)
        match = re.fullmatch(r"/v4/spreadsheets/[^/:]+(.*)", path)
        rest = match.group(1) if match else path
        a1 = ""
        if rest.startswith("/values/"):
            a1, _, verb = rest[len("/values/") :].rpartition(":")
            if not a1 or not re.fullmatch(r"[a-zA-Z]+", verb):
                a1, verb = rest[len("/values/") :], ""
            kind = f"values{':' + verb if verb else ''}"
        else:
            kind = rest or "metadata"
        body = it["request"].get("body")
        answer = it["response"]["body"].get("string") or ""
        yield (
            it["request"]["method"],
            kind,
            a1,
            {k: v[0] for k, v in parse_qs(url.query).items()},
            _json(body),
            it["response"]["status"]["code"],
            _json(answer),
        )


def _json(text):
    try:
        return json.loads(text) if text else None
    except (TypeError, ValueError):
        return None


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def cells(a1: str, rows: list[list]):
    """((tab, row, column), value) of each value of `rows` placed from the range's first cell."""
    title, _, ref = a1.rpartition("!")
    start = re.match(r"([A-Z]+)(\d+)", ref)
    if not title or not start:
        return
    column0 = 0
    for letter in start.group(1):
        column0 = column0 * 26 + ord(letter) - 64
    row0 = int(start.group(2))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            yield (title.strip("'"), row0 + r, column0 + c), value


def distil(git_dir: str) -> dict:
    typed, fresh, ranges, replies, errors = set(), set(), set(), {}, set()
    for _, cassette in cassettes(git_dir):
        put: dict[tuple[str, int, int], tuple[str, object]] = {}  # cell -> (input, typed)
        fresh_seen = False
        for method, kind, a1, query, sent, status, answer in exchanges(cassette):
            if status >= 400:
                error = (answer or {}).get("error", {})
                errors.add((method, kind, status, error.get("status", "")))
                continue
            first_read = kind == "metadata" and not fresh_seen
            if first_read and answer and "sheets" in answer and not query.get("fields"):
                fresh_seen = True  # a new spreadsheet, as the cassette's test created it
                first = answer["sheets"][0]["properties"]
                grid = first.get("gridProperties", {})
                fresh.add(
                    (
                        first["title"],
                        first["sheetId"],
                        grid.get("rowCount"),
                        grid.get("columnCount"),
                    )
                )
            if kind == "values" and method == "GET" and answer and ":" in answer.get("range", ""):
                asked = a1.rpartition("!")[0] or a1
                if "!" not in a1:  # a whole tab asked for by its title
                    ranges.add((asked.strip("'"), answer["range"].rpartition("!")[0]))
            if kind == ":batchUpdate" and sent and answer:
                for request, reply in zip(
                    sent.get("requests", []), answer.get("replies", []), strict=True
                ):
                    (name,) = request
                    replies.setdefault(name, set()).update(reply or {"": None})
            if kind == "values" and method == "PUT" and sent:
                for cell, value in cells(a1, sent.get("values", [])):
                    put[cell] = (query.get("valueInputOption", "RAW"), value)
            elif kind == "values" and method == "GET" and answer:
                for cell, read in cells(answer.get("range", ""), answer.get("values", [])):
                    if cell in put:
                        how, value = put[cell]
                        render = query.get("valueRenderOption", "FORMATTED_VALUE")
                        dates = query.get("dateTimeRenderOption", "SERIAL_NUMBER")
                        typed.add((how, _dump(value), render, dates, _dump(read)))
            elif method != "GET":  # anything else may change the cells: forget them
                put.clear()
    return {
        "source": "facts distilled from gspread's recorded sessions (tests/cassettes)",
        "typed": _telling(typed),
        "fresh_sheet": [
            {"title": t, "sheetId": s, "rows": r, "columns": c} for t, s, r, c in sorted(fresh)
        ],
        "tab_named_in_answers": [{"title": t, "as": a} for t, a in sorted(ranges)],
        "replies": {name: sorted(k for k in keys if k) for name, keys in sorted(replies.items())},
        "errors": [
            {"method": m, "asked": k, "status": s, "word": w} for m, k, s, w in sorted(errors)
        ],
    }


def _telling(typed: set) -> list[dict]:
    """The facts that say something: a value read back otherwise than typed, any render
    option but FORMATTED_VALUE, and a few plain texts and numbers (not all 150)."""
    out, plain = [], 0
    for how, value, render, dates, read in sorted(typed):
        value, read = json.loads(value), json.loads(read)
        if value is None:  # gspread's "leave this cell": nothing typed
            continue
        same = read == (value if isinstance(value, str) else _shown(value))
        if same and render == "FORMATTED_VALUE" and dates == "SERIAL_NUMBER":
            plain += 1
            if plain % 10:
                continue
        out.append({"input": how, "typed": value, "render": render, "dates": dates, "reads": read})
    return out


def _shown(value) -> str:
    return str(value)


if __name__ == "__main__":
    json.dump(distil(sys.argv[1]), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")

"""The fake against what Google did in gspread's recorded sessions (the facts distilled by
scripts/distil_gspread_cassettes.py into tests/data/sheets_api_facts.json), through the real
gspread client: what a person typed reads back as Google stores it, whatever render option
the sync asks for; tabs are named as Google names them; errors carry Google's status words.
Then what people do in the browser (sort, insert, delete, merge, append) and Google's limits."""

import json
from pathlib import Path

import pytest
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from sheets_fake import NOT_SHARED

from sheetsync.backends.gsheets import GSheetsBackend

FACTS = json.loads((Path(__file__).parent / "data" / "sheets_api_facts.json").read_text())


@pytest.fixture
def http(sheets_api, service_account) -> HTTPClient:
    """gspread's own client, without the backend's retries."""
    backend = GSheetsBackend("facts", str(service_account), sheets_api.url)
    return HTTPClient(backend.credentials, backend.http.session)


def _id(fact: dict) -> str:
    return f"{fact['input']}:{fact['typed']!r}:{fact['render']}:{fact['dates']}"


@pytest.mark.parametrize("fact", FACTS["typed"], ids=_id)
def test_what_is_typed_reads_back_as_google_stores_it(sheets_api, http, fact):
    sheets_api.create("facts")
    http.values_update(
        "facts",
        "'Sheet1'!A1",
        {"valueInputOption": fact["input"]},
        {"values": [[fact["typed"]]]},
    )
    params = {"valueRenderOption": fact["render"], "dateTimeRenderOption": fact["dates"]}
    answer = http.values_get("facts", "'Sheet1'!A1", params)
    assert answer.get("values", [[""]])[0][0] == fact["reads"]


def test_a_new_spreadsheet_and_its_tab_names_are_googles(sheets_api, http):
    (fresh,) = FACTS["fresh_sheet"]
    sheets_api.create("facts")
    first = http.fetch_sheet_metadata("facts")["sheets"][0]["properties"]
    grid = first["gridProperties"]
    assert (first["title"], first["sheetId"], grid["rowCount"], grid["columnCount"]) == (
        fresh["title"],
        fresh["sheetId"],
        fresh["rows"],
        fresh["columns"],
    )
    titles = [f["title"] for f in FACTS["tab_named_in_answers"]]
    sheets_api.create("named", titles=tuple(dict.fromkeys(titles)))
    for fact in FACTS["tab_named_in_answers"]:
        quoted = "'" + fact["title"].replace("'", "''") + "'"
        (answer,) = http.values_batch_get("named", [quoted])["valueRanges"]
        assert answer["range"].rpartition("!")[0] == fact["as"]


def test_batch_update_replies_and_error_words_are_googles(sheets_api, http):
    sheets_api.create("facts")
    answer = http.batch_update(
        "facts",
        {
            "requests": [
                {"addSheet": {"properties": {"title": "two"}}},
                {
                    "insertDimension": {
                        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 2}
                    }
                },
                {"mergeCells": {"range": _area(0, 1, 0, 2), "mergeType": "MERGE_ALL"}},
            ]
        },
    )
    answered = [sorted(reply) for reply in answer["replies"]]
    expected = FACTS["replies"]
    assert answered == [expected["addSheet"], expected["insertDimension"], expected["mergeCells"]]
    words = {(e["method"], e["asked"], e["status"]): e["word"] for e in FACTS["errors"]}
    with pytest.raises(APIError) as missing:
        http.fetch_sheet_metadata("no-such-sheet")
    with pytest.raises(APIError) as bad:
        http.batch_update(
            "facts",
            {
                "requests": [
                    {
                        "deleteDimension": {
                            "range": {
                                "sheetId": 99,
                                "dimension": "ROWS",
                                "startIndex": 0,
                                "endIndex": 1,
                            }
                        }
                    }
                ]
            },
        )
    sheets_api.answer_next(NOT_SHARED)
    with pytest.raises(APIError) as refused:
        http.fetch_sheet_metadata("facts")
    for error, asked in (
        (missing, ("GET", "metadata", 404)),
        (bad, ("POST", ":batchUpdate", 400)),
        (refused, ("GET", "metadata", 403)),
    ):
        assert error.value.response.json()["error"]["status"] == words[asked]


def _area(r0: int, r1: int, c0: int, c1: int, sheet_id: int = 0) -> dict:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": c0,
        "endColumnIndex": c1,
    }


def _grid(sheets_api, key: str = "facts", title: str = "Sheet1") -> list[list]:
    return sheets_api.books[key].by_title(title).grid()


def _fill(sheets_api, rows: list[list], key: str = "facts") -> None:
    sheet = sheets_api.books[key].by_title("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value != "":
                sheet.cells[(r, c)] = {"v": value}


def test_a_person_sorting_inserting_deleting_and_merging_moves_the_cells(sheets_api):
    sheets_api.create("facts")
    _fill(sheets_api, [["id", "n"], ["b", 2], ["", 9], ["A", 1], ["c", 3]])
    sheets_api.person(
        "facts",
        {
            "sortRange": {
                "range": _area(1, 5, 0, 2),
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "ASCENDING"}],
            }
        },
    )
    assert _grid(sheets_api) == [["id", "n"], ["A", 1], ["b", 2], ["c", 3], ["", 9]]  # empty last
    sheets_api.person(
        "facts",
        {
            "sortRange": {
                "range": _area(1, 5, 0, 2),
                "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}],
            }
        },
    )
    assert [row[1] for row in _grid(sheets_api)[1:]] == [9, 3, 2, 1]
    rows = {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 2}
    sheets_api.person("facts", {"insertDimension": {"range": rows}})
    assert _grid(sheets_api)[1] == [] and _grid(sheets_api)[2] == ["", 9]
    assert sheets_api.books["facts"].by_title("Sheet1").rows == 1001
    sheets_api.person("facts", {"deleteDimension": {"range": dict(rows, endIndex=3)}})
    assert _grid(sheets_api)[1] == ["c", 3]
    sheets_api.person(
        "facts", {"mergeCells": {"range": _area(1, 2, 0, 2), "mergeType": "MERGE_ALL"}}
    )
    assert _grid(sheets_api)[1] == ["c"]  # the top-left value kept


def test_values_append_and_formulas_read_with_their_value(sheets_api, http):
    sheets_api.create("facts")
    _fill(sheets_api, [["a", 1], ["b", 2]])
    answer = http.values_append(
        "facts",
        "Sheet1",
        {"valueInputOption": "USER_ENTERED"},
        {"values": [["sum", "=SUM(B1:B2)*10"]]},
    )
    assert answer["updates"]["updatedRange"] == "Sheet1!A3:B3"
    unformatted = {"valueRenderOption": "UNFORMATTED_VALUE"}
    assert http.values_get("facts", "Sheet1!B3", unformatted)["values"] == [[30]]
    sheets_api.type("facts", "Sheet1", "C1", '=HYPERLINK("http://x","点我")')
    assert http.values_get("facts", "Sheet1!C1", unformatted)["values"] == [["点我"]]
    sheets_api.type("facts", "Sheet1", "D1", "2026/11/17")
    assert http.values_get("facts", "Sheet1!D1", unformatted)["values"] == [[46343]]
    formatted = http.values_get("facts", "Sheet1!D1", {"valueRenderOption": "FORMATTED_VALUE"})
    assert formatted["values"] == [["2026/11/17"]]


def test_a_body_over_googles_limit_is_refused_whole(sheets_api, http):
    sheets_api.create("facts")
    sheets_api.max_body = 50_000
    text = "x" * 60_000
    cell = {"userEnteredValue": {"stringValue": text}}
    request = {
        "updateCells": {"start": {"sheetId": 0}, "rows": [{"values": [cell]}], "fields": "*"}
    }
    with pytest.raises(APIError) as error:
        http.batch_update("facts", {"requests": [request]})
    body = error.value.response.json()["error"]
    assert (error.value.response.status_code, body["status"]) == (400, "INVALID_ARGUMENT")
    assert body["message"] == "Request payload size exceeds the limit: 50000 bytes."
    assert _grid(sheets_api) == []


def test_more_cells_than_google_holds_is_refused(sheets_api, http):
    sheets_api.create("facts")
    sheets_api.max_cells = 30_000
    grow = {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 200}}
    with pytest.raises(APIError) as error:
        http.batch_update("facts", {"requests": [grow]})
    assert "above the limit of 30000 cells" in error.value.response.json()["error"]["message"]
    assert sheets_api.books["facts"].by_title("Sheet1").rows == 1000

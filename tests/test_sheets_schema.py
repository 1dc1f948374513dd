"""What the backend sends and what the fake answers, checked against Google's own Sheets v4
discovery document (shipped with google-api-python-client): an unknown field, a wrong type or
an invalid enum value fails here rather than against the real API."""

import datetime as dt
import json
from pathlib import Path

import googleapiclient
import pytest
from conftest import TODAY, customer, gsheets_settings, make_spreadsheet, sync

DOCUMENT = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "sheets.v4.json"
)
SCHEMAS = json.loads(DOCUMENT.read_text(encoding="utf-8"))["schemas"]
TYPES = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "object": dict,
    "array": list,
}


def check(value, schema: dict, where: str = "") -> None:
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"]]
    kind = schema.get("type")
    if kind in ("integer", "number") and isinstance(value, str):
        float(value)  # int64 values may come as strings
        return
    if kind and kind != "any":
        assert isinstance(value, TYPES[kind]) and not (
            kind != "boolean" and isinstance(value, bool)
        ), f"{where}: {value!r} is not {kind}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        properties = schema.get("properties")
        for key, item in value.items():
            if properties is not None:
                assert key in properties, f"{where}: unknown field {key!r}"
                check(item, properties[key], f"{where}.{key}")
            elif "additionalProperties" in schema:
                check(item, schema["additionalProperties"], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], f"{where}[{i}]")


RESPONSES = {
    "": "Spreadsheet",
    "/values:batchGet": "BatchGetValuesResponse",
    ":batchUpdate": "BatchUpdateSpreadsheetResponse",
}


def test_every_request_and_answer_matches_the_discovery_document(
    tmp_path, sheets_api, service_account
):
    from click.testing import CliRunner

    from sheetsync.ops.cli import main

    sheets_api.create("schema-sheet", titles=("客户跟进",)).by_title("客户跟进").cells[(0, 0)] = {
        "v": "客户编号"
    }
    config = tmp_path / "c.yaml"
    config.write_text(
        f"gsheets: {{credentials: '{service_account}', endpoint: '{sheets_api.url}'}}\n"
    )
    result = CliRunner().invoke(
        main, ["init", "--spreadsheet", "schema-sheet", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    key = make_spreadsheet(
        sheets_api,
        service_account,
        [customer("K1"), customer("K2", last_contact=None), customer("K3", owner="赵六")],
    )
    for day in (TODAY, TODAY + dt.timedelta(days=2), TODAY + dt.timedelta(days=3)):
        sync(
            Path("unused.xlsx"), day, workbook=key, **gsheets_settings(sheets_api, service_account)
        )
        # an owner leaves the sheet: the overdue-by-owner chart is redrawn (delete + add)
        sheets_api.books[key].by_title("客户跟进").cells[(3, 14)] = {"v": "张伟"}
    batches = [sent for path, sent, _ in sheets_api.exchanges if path.endswith(":batchUpdate")]
    kinds = {next(iter(r)) for body in batches for r in body["requests"]}
    assert {
        "addSheet",
        "updateCells",  # appended rows too: placed at rows fixed at write time (idempotent)
        "setDataValidation",
        "addConditionalFormatRule",
        "addProtectedRange",
        "repeatCell",
        "updateSheetProperties",
        "addChart",
        "deleteEmbeddedObject",
    } <= kinds
    for i, body in enumerate(batches):
        check(body, {"$ref": "BatchUpdateSpreadsheetRequest"}, f"batchUpdate[{i}]")
    for path, _, answer in sheets_api.exchanges:
        if "error" in answer:
            continue
        suffix = next(s for s in sorted(RESPONSES, key=len, reverse=True) if path.endswith(s))
        check(answer, {"$ref": RESPONSES[suffix]}, path)


def test_the_validator_catches_a_wrong_request():
    with pytest.raises(AssertionError, match="unknown field 'stringValu'"):
        check(
            {
                "requests": [
                    {
                        "updateCells": {
                            "rows": [{"values": [{"userEnteredValue": {"stringValu": "x"}}]}]
                        }
                    }
                ]
            },
            {"$ref": "BatchUpdateSpreadsheetRequest"},
        )
    with pytest.raises(AssertionError, match="not in"):
        check({"dimension": "ROW"}, {"$ref": "AppendDimensionRequest"})

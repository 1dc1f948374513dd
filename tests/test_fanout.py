"""Fifty teams: `sync --all` split among workers by `--shard I/N` (each workbook synced by
exactly one of them), one workbook by `--only NAME`, and `list-workbooks --json` showing the
split a scheduler hands out."""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import TODAY, customer, make_workbook, sheet_rows

from sheetsync.ops.cli import main

TEAMS = [f"team-{i:02d}" for i in range(1, 13)]
RECIPE = Path(__file__).parents[1] / "config" / "deploy" / "kubernetes-cronjob-shards.yaml"


@pytest.fixture
def twelve(tmp_path) -> Path:
    """Twelve real workbooks, listed under `workbooks:` in one settings file (no mail)."""
    entries = []
    for name in TEAMS:
        make_workbook(tmp_path / f"{name}.xlsx", [customer("A1"), customer("A2")])
        entries.append(f"  - name: {name}\n    workbook: {name}.xlsx\n")
    settings = tmp_path / "settings.yaml"
    settings.write_text("email: {enabled: false}\nworkbooks:\n" + "".join(entries), "utf-8")
    return settings


def runs(settings: Path) -> dict[str, int]:
    """How many syncs each workbook's sync log records."""
    return {
        name: sum(
            1 for row in sheet_rows(settings.parent / f"{name}.xlsx", "同步日志")[1:] if row[0]
        )
        for name in TEAMS
    }


def pod_command(index: int, settings: Path) -> tuple[int, list[str]]:
    """The Kubernetes recipe's Indexed Job: its number of pods, and the command line its pod
    number `index` runs (JOB_COMPLETION_INDEX set as Kubernetes sets it; the settings here)."""
    job = yaml.safe_load(RECIPE.read_text("utf-8"))["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] == job["completions"]
    (script,) = job["template"]["spec"]["containers"][0]["args"]
    words = shlex.split(script.replace("$JOB_COMPLETION_INDEX", str(index)))
    assert words[:2] == ["exec", "sheetsync"]
    words[words.index("--config") + 1] = str(settings)
    return job["completions"], words[2:]


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_four_shards_sync_each_of_twelve_workbooks_exactly_once(twelve):
    listed = cli("list-workbooks", "--config", str(twelve), "--shards", "4", "--json")
    assert listed.exit_code == 0, listed.output
    planned = {e["name"]: e["shard"] for e in json.loads(listed.output)}
    # The documented split: the first 8 bytes of the name's sha1, big-endian, mod N; the
    # same in every process and on every machine (Python's hash() is salted per process).
    sha1 = {n: int.from_bytes(hashlib.sha1(n.encode()).digest()[:8], "big") % 4 for n in TEAMS}
    assert planned == sha1
    before = runs(twelve)
    for shard in range(4):  # as the Kubernetes recipe's four pods run
        pods, command = pod_command(shard, twelve)
        assert pods == 4 and f"{shard}/4" in command
        done = cli(*command, "--today", str(TODAY))
        assert done.exit_code == 0, done.output
        after = runs(twelve)
        synced = {n for n in TEAMS if after[n] > before[n]}
        assert synced == {n for n, s in planned.items() if s == shard}  # as listed
        before = after
    assert before == dict.fromkeys(TEAMS, 1)  # every one once, none twice


def test_only_syncs_just_the_named_workbook(twelve):
    done = cli("sync", "--all", "--only", "team-07", "--config", str(twelve),
               "--today", str(TODAY))  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 of 1 workbook(s) synced" in done.output
    assert runs(twelve) == {n: int(n == "team-07") for n in TEAMS}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("4/4", "I must be 0 to 3"),
        ("1", "expected I/N"),
        ("a/b", "expected I/N"),
        ("-1/4", "expected I/N"),
        ("0/0", "at least 1"),
    ],
)
def test_a_bad_shard_is_a_usage_error_naming_the_option(twelve, value, says):
    done = CliRunner().invoke(main, ["sync", "--all", "--config", str(twelve), "--shard", value])
    assert done.exit_code == 2 and isinstance(done.exception, SystemExit)  # not a crash
    assert "--shard" in done.output and says in done.output, done.output
    assert "Traceback" not in done.output
    assert runs(twelve) == dict.fromkeys(TEAMS, 0)


def test_only_an_unknown_name_or_without_all_is_a_usage_error(twelve):
    unknown = cli("sync", "--all", "--only", "team-99", "--config", str(twelve))
    assert unknown.exit_code == 2
    assert "no workbook named team-99" in unknown.output and "team-01" in unknown.output
    alone = cli("sync", "--shard", "0/4", "--config", str(twelve))
    assert alone.exit_code == 2 and "add --all" in alone.output
    assert runs(twelve) == dict.fromkeys(TEAMS, 0)


def test_serve_once_takes_only_its_own_share_as_sync_all_does(twelve):
    """A worker started as `serve --once` (cron, a hosted scheduler) or as a long-running
    `serve` gets its share by the same options and the same split as `sync --all`."""
    listed = cli("list-workbooks", "--config", str(twelve), "--shards", "4", "--json")
    shard_one = {e["name"] for e in json.loads(listed.output) if e["shard"] == 1}
    done = cli("serve", "--once", "--config", str(twelve), "--shard", "1/4")
    assert done.exit_code == 0, done.output
    assert {n for n, count in runs(twelve).items() if count} == shard_one
    done = cli("serve", "--once", "--config", str(twelve), "--only", "team-03", "--only", "team-08")
    assert done.exit_code == 0, done.output
    assert "2 of 2 workbook(s) synced" in done.output
    assert runs(twelve) == {
        n: int(n in shard_one) + int(n in {"team-03", "team-08"}) for n in TEAMS
    }
    typo = CliRunner().invoke(
        main, ["serve", "--once", "--config", str(twelve), "--only", "team-99"]
    )
    assert typo.exit_code == 2 and "no workbook named team-99" in typo.output

"""The mail journal read once a run: what another run (or a second journal on the same file)
wrote, pruned or repaired is never hidden by what this one read before."""

import datetime as dt

import pandas as pd

from sheetsync.delivery.records import Journal
from sheetsync.delivery.remind import Mail

AT = dt.datetime(2026, 11, 18, 8, 0)


def _mail(owner: str, customer: str) -> Mail:
    due = [(customer, pd.Timestamp("2026-11-18"))]
    return Mail("digest", owner, f"{owner}@example.com", f"digest/{owner}/2026-11-18", {}, due)


def test_a_mail_journalled_by_another_run_is_seen_after_this_run_read_the_journal(tmp_path):
    path = tmp_path / "mail.jsonl"
    ours, theirs = Journal(path), Journal(path)
    ours.record(_mail("张伟", "KH-1"), AT)
    assert [e["key"] for e in ours.entries()] == ["digest/张伟/2026-11-18"]
    theirs.record(_mail("李娜", "KH-2"), AT)
    assert [e["key"] for e in ours.entries()] == [
        "digest/张伟/2026-11-18",
        "digest/李娜/2026-11-18",
    ]


def test_what_this_run_journals_reads_back_as_a_fresh_reader_reads_it(tmp_path):
    path = tmp_path / "mail.jsonl"
    journal = Journal(path)
    journal.record(_mail("张伟", "KH-1"), AT)
    journal.entries()
    journal.record(_mail("李娜", "KH-2"), AT + dt.timedelta(minutes=1))
    assert journal.entries() == Journal(path).entries()
    assert journal.entries()[1]["reminds"] == [("KH-2", "2026-11-18")]


def test_a_task_named_by_every_day_s_digest_is_held_once_and_written_back_as_it_was(tmp_path):
    """Two weeks of digests name the same overdue tasks day after day: a big team's journal
    is read with one pair per task and due day, and rewritten (pruned) line for line."""
    path = tmp_path / "mail.jsonl"
    journal = Journal(path)
    for day in range(3):
        journal.record(_mail("张伟", "KH-1"), AT + dt.timedelta(days=day))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all('"reminds": [["KH-1", "2026-11-18"]]' in line for line in lines)
    first, *others = Journal(path).entries()
    assert all(e["reminds"][0] is first["reminds"][0] for e in others)
    journal.prune(AT.date() + dt.timedelta(days=15))  # the first day goes, the rest is kept
    assert path.read_text(encoding="utf-8").splitlines() == lines[1:]


def test_a_pruned_journal_keeps_two_weeks_for_the_run_that_pruned_it_and_the_next(tmp_path):
    path = tmp_path / "mail.jsonl"
    journal = Journal(path)
    journal.record(_mail("张伟", "KH-1"), AT - dt.timedelta(days=20))
    journal.record(_mail("李娜", "KH-2"), AT)
    journal.prune(AT.date())
    assert [e["recipient"] for e in journal.entries()] == ["李娜"]
    assert [e["recipient"] for e in Journal(path).entries()] == ["李娜"]


def test_a_torn_last_line_is_repaired_and_the_next_mail_is_journalled_whole(tmp_path):
    path = tmp_path / "mail.jsonl"
    journal = Journal(path)
    journal.record(_mail("张伟", "KH-1"), AT)
    with open(path, "a", encoding="utf-8") as out:
        out.write('{"key": "digest/王强')  # a run killed mid-line
    assert journal.read()[1] == 1
    assert journal.repair() == 1
    journal.record(_mail("李娜", "KH-2"), AT)
    assert Journal(path).read() == (journal.entries(), 0)
    assert len(journal.entries()) == 2


def test_a_hand_edited_pair_in_the_journal_is_skipped_not_a_crash(tmp_path):
    """A pair someone edited into something else (three items, a list in it) stamps nothing;
    the entry's other pairs still stamp their tasks."""
    from sheetsync.rules.tasks import record_mail

    path = tmp_path / "mail.jsonl"
    path.write_text(
        '{"key": "digest/张伟/2026-11-18", "at": "2026-11-18 08:00:00", "recipient": "张伟", '
        '"to": "z@example.com", "reminds": [["KH-1", "2026-11-18"], ["KH-2", ["x"]], '
        '["KH-3", "2026-11-18", "?"]], "escalates": []}\n',
        encoding="utf-8",
    )
    log = pd.DataFrame(
        {
            "customer_id": ["KH-1", "KH-2", "KH-3"],
            "due_date": pd.to_datetime(["2026-11-18"] * 3),
            "reminded_at": [None] * 3,
            "escalated_at": [None] * 3,
        }
    )
    stamped = record_mail(log, Journal(path).entries())
    assert list(stamped["reminded_at"]) == ["2026-11-18 08:00:00", None, None]

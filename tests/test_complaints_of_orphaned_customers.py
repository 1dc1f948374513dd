"""A complaint on the customer of an owner nobody manages any more (one who left the team,
or one never in it) still reaches a manager: his former 上级, else every manager, one mail each
and once only."""

import datetime as dt

from conftest import PEOPLE_KEYS, TODAY, customer, make_workbook, sheet_rows, sync, type_in
from test_handover import TEAM as TWO_MANAGERS
from test_handover import _remove_from_team

from sheetsync.ops.demo import TEAM

DAY = dt.timedelta(days=1)
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}


def _alerts(smtp, address: str) -> list:
    return [m for m in smtp.inbox.to(address) if m["Subject"].startswith("【需重点关注】")]


def test_a_complaint_on_a_departed_owners_customer_alerts_his_former_manager_once(tmp_path, smtp):
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("W1", customer="王强的客户", owner="王强")], team=TEAM
    )
    sync(path)  # 跟进历史 records 王强 with his 上级 陈静
    _remove_from_team(path, "王强")
    type_in(path, "W1", summary="客户投诉交付延迟", last_contact=TODAY)
    report = sync(path, TODAY + DAY, email=True, environ=smtp.env())

    assert not any("王强没有上级" in n for n in report.notes)
    (alert,) = _alerts(smtp, "chen.jing@example.com")
    assert "王强的客户" in alert["Subject"] and "王强" in alert["Subject"]
    assert all(not _alerts(smtp, m[1]) for m in TEAM if m[1] != "chen.jing@example.com")
    sync(path, TODAY + DAY, email=True, environ=smtp.env())  # a re-run: already sent
    assert len(_alerts(smtp, "chen.jing@example.com")) == 1


def test_a_complaint_on_an_unknown_owners_customer_alerts_every_manager_once_each(tmp_path, smtp):
    """赵六 was never in the team: every manager hears of the complaint, in one mail each,
    and each mail has its own line in 邮件记录."""
    row = customer("G1", customer="没人认识的负责人", owner="赵六", feedback="客户投诉交付延迟")
    path = make_workbook(tmp_path / "b.xlsx", [row], team=TWO_MANAGERS)
    report = sync(path, email=True, environ=smtp.env())

    assert not any("赵六没有上级" in n for n in report.notes)
    for manager in ("chen.jing@example.com", "zhou.min@example.com"):
        (alert,) = _alerts(smtp, manager)
        assert "没人认识的负责人" in alert["Subject"]
    keys = [str(r[1]) for r in sheet_rows(path, "邮件记录")[1:]]
    assert sorted(k for k in keys if k.startswith("alert/G1/")) == [
        f"alert/G1/{TODAY}/周敏",
        f"alert/G1/{TODAY}/陈静",
    ]
    sync(path, email=True, environ=smtp.env())  # a re-run: nobody hears of it twice
    assert [len(_alerts(smtp, m)) for m in ("chen.jing@example.com", "zhou.min@example.com")] == [
        1,
        1,
    ]

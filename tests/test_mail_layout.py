"""What an owner sees in the digest and a manager in the summary: sections in order and in
the workbook's language, tap-to-call phones, links to the customer's row on either backend,
stage and amount, bordered tables and inline chart pictures; and, in a real browser, nothing
wider than a phone's screen."""

import datetime as dt
import importlib.util
import re
import struct
from pathlib import Path

import pytest
from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    sheet_rows,
    sheet_values,
    sync,
)
from smtp_server import parts
from test_email import CUSTOMERS, TEAM

from sheetsync.delivery.remind import tel

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "render_mail.py"


def render_mail():
    spec = importlib.util.spec_from_file_location("render_mail", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row_of(rows, customer_id):
    return next(i for i, r in enumerate(rows, start=1) if r and r[0] == customer_id)


WEEK = [
    *CUSTOMERS,
    customer(
        "Z4",
        customer="张伟下周的客户",
        stage="商务谈判",
        annual_amount="120万",
        last_contact=dt.date(2026, 11, 14),
    ),
]


def digest_for(inbox, address):
    (message,) = [m for m in inbox.to(address) if "跟进提醒" in m["Subject"]]
    return parts(message)


def test_digest_sections_come_in_order_in_chinese_with_tap_to_call(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", WEEK, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    body = digest_for(smtp.inbox, "zhang.wei@example.com")
    html, text = body["text/html"], body["text/plain"]
    headings = re.findall(r"<h2[^>]*>([^<]+?) <span", html)
    assert headings == ["已逾期", "今日跟进", "本周即将到期"]
    assert html.index("张伟的老客户") < html.index("张伟的新客户") < html.index("张伟不急的客户")
    assert 'href="tel:13911112222"' in html and 'href="tel:13933334444"' in html
    assert "【已逾期】" in text and text.index("【今日跟进】") < text.index("【本周即将到期】")


def test_digest_shows_stage_and_amount_where_the_sheet_has_them(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", WEEK, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    body = digest_for(smtp.inbox, "zhang.wei@example.com")
    assert "阶段:商务谈判" in body["text/html"] and "120万" in body["text/html"]
    assert "阶段:商务谈判  年合作金额:120万" in body["text/plain"]


def test_an_xlsx_digest_names_the_file_and_row(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    row = row_of(sheet_rows(path, "客户跟进"), "Z1")
    body = digest_for(smtp.inbox, "zhang.wei@example.com")
    assert (
        f"b.xlsx 第 {row} 行" in body["text/html"] and f"b.xlsx 第 {row} 行" in body["text/plain"]
    )
    assert "docs.google.com" not in body["text/html"]


def test_a_google_digest_links_each_customer_to_their_row(
    tmp_path, smtp, monkeypatch, sheets_api, service_account
):
    monkeypatch.chdir(tmp_path)
    make_spreadsheet(sheets_api, service_account, CUSTOMERS, team=TEAM)
    google = gsheets_settings(sheets_api, service_account)
    sync(tmp_path / "unused.xlsx", email=True, environ=smtp.env(), workbook=KEY, **google)
    gid = sheets_api.books[KEY].by_title("客户跟进").sheet_id
    row = row_of(sheet_values(sheets_api, "客户跟进"), "Z1")
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid={gid}&amp;range=A{row}"
    body = digest_for(smtp.inbox, "zhang.wei@example.com")
    assert f'href="{url}"' in body["text/html"]
    assert url.replace("&amp;", "&") in body["text/plain"]


def test_traditional_workbook_gets_traditional_section_titles(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", WEEK, team=TEAM, locale="zh-Hant")
    sync(path, email=True, environ=smtp.env())
    (message,) = smtp.inbox.to("zhang.wei@example.com")
    html = parts(message)["text/html"]
    assert re.findall(r"<h2[^>]*>([^<]+?) <span", html) == ["已逾期", "今日跟進", "本週即將到期"]


@pytest.mark.parametrize(
    "typed, dialled",
    [
        ("13911112222", "13911112222"),
        ("+86 139-1111-2222", "+8613911112222"),
        ("(021) 6123 4567", "02161234567"),
        ("li@example.com", ""),
        ("晚上再打", ""),
        ("123", ""),
    ],
)
def test_only_phone_numbers_become_tel_links(typed, dialled):
    assert tel(typed) == dialled


def summary_mail(tmp_path, smtp):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS, team=TEAM)
    sync(path, email=True, environ=smtp.env(SHEETSYNC_EMAIL_MANAGER_SUMMARY="yes"))
    (message,) = [m for m in smtp.inbox.to("chen.jing@example.com") if "汇总" in m["Subject"]]
    return message


def test_the_summary_mail_has_headings_bordered_tables_and_percentages(tmp_path, smtp):
    html = parts(summary_mail(tmp_path, smtp))["text/html"]
    assert re.search(r"<h2[^>]*>按负责人</h2>", html)
    assert re.search(r"<table[^>]*border:1px solid", html) and re.search(
        r"<td[^>]*border:1px solid", html
    )
    assert re.search(r">\d+\.\d%</td>", html)  # shares as percentages, not 0.333333


def test_the_summary_charts_are_inline_pngs_whose_cids_resolve(tmp_path, smtp):
    message = summary_mail(tmp_path, smtp)
    html = parts(message)["text/html"]
    shown = re.findall(r'src="cid:([^"]+)"', html)
    pictures = {
        p["Content-ID"].strip("<>"): p.get_content()
        for p in message.walk()
        if p.get_content_type() == "image/png"
    }
    assert len(shown) == 3 and set(shown) == set(pictures)
    for data in pictures.values():
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", data[16:24])
        assert 100 <= width <= 600 and height > 20


browser = render_mail().chromium()


@pytest.mark.skipif(browser is None, reason="chromium is not installed")
@pytest.mark.parametrize("kind", ["digest", "summary"])
def test_in_chromium_nothing_is_wider_than_a_phone_or_a_desktop(tmp_path, kind):
    module = render_mail()
    message = module.demo_mails(tmp_path)[kind]
    page = tmp_path / f"{kind}.html"
    page.write_text(module.browser_html(message), encoding="utf-8")
    for width in module.WIDTHS:
        size = module.measure(browser, page, width)
        assert size["width"] == width
        assert size["scroll"] <= width and not size["wide"], (width, size)


@pytest.mark.skipif(browser is None, reason="chromium is not installed")
def test_in_chromium_the_complaint_alert_fits_a_phone(tmp_path):
    module = render_mail()
    page = tmp_path / "alert.html"
    page.write_text(module.browser_html(module.demo_alert(tmp_path)), encoding="utf-8")
    size = module.measure(browser, page, 390)
    assert size["width"] == 390
    assert size["scroll"] <= 390 and not size["wide"], size


def test_a_section_shows_fifty_cards_and_counts_the_rest(tmp_path, smtp):
    rows = [customer(f"Z{i:03d}", last_contact=dt.date(2026, 11, 10)) for i in range(60)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, email=True, environ=smtp.env())
    (message,) = smtp.inbox.to("zhang.wei@example.com")
    assert message["Subject"].startswith(f"{TODAY} 跟进提醒:60 项待办")
    html, text = parts(message)["text/html"], parts(message)["text/plain"]
    assert html.count('href="tel:') == 50 and "还有 10 项未列出" in html
    assert "还有 10 项未列出" in text

"""Render the demo's digest and manager summary mail in headless Chromium, as a phone (390 px)
and a desktop (900 px) would show them, to PNG.

Not part of the sync; the tests use its functions to check that nothing in the mail is wider
than the screen. Needs Chromium (`/usr/bin/chromium`) and a Chinese font
(`apt-get install fonts-wqy-zenhei`). Usage:

    python3 scripts/render_mail.py --out docs

writes digest-390.png, digest-900.png, summary-mail.png (390 px), summary-900.png and
alert-390.png, a complaint alert (docs/operations.md shows them); `--only alert` renders the
alert alone. Headless Chromium
has no window narrower than 500 px, so the 390 px pictures show the phone-wide mail on grey.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheetsync.backends.xlsx import XlsxBackend  # noqa: E402
from sheetsync.config import load_settings  # noqa: E402
from sheetsync.delivery.mailer import Mailer, Renderer  # noqa: E402
from sheetsync.ops.app import init_workbook  # noqa: E402
from sheetsync.pipeline import compute, load  # noqa: E402
from sheetsync.rules.workdays import WorkCalendar  # noqa: E402

TODAY = dt.date(2026, 11, 18)
WIDTHS = (390, 900)
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
# Chromium's headless window is never narrower than 500 px, so the mail is shown in an iframe
# of the width wanted: its viewport is a phone's. The host page is the grey around it.
HOST = """<!DOCTYPE html><html><body style="margin:0;background:#d1d5db">
<iframe srcdoc="{page}" style="display:block;margin:0 auto;border:0;width:{width}px;height:{height}px"></iframe>
</body></html>"""
# Every element's right edge against the viewport: what sticks out makes a phone scroll sideways.
MEASURE = """<script>
window.addEventListener('load', () => {
  const width = window.innerWidth, wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) wide.push(el.tagName + ' ' + Math.round(box.right));
  }
  const root = document.documentElement;
  window.parent.document.body.setAttribute('data-measure', JSON.stringify({
    width, scroll: root.scrollWidth, height: root.scrollHeight, wide: wide.slice(0, 20),
    content: Math.ceil(document.body.getBoundingClientRect().height)}));
});
</script>"""


def chromium() -> str | None:
    return next((path for name in CHROMIUM if (path := shutil.which(name))), None)


def demo_mails(folder: Path, locale: str = "zh", url: str = "") -> dict[str, EmailMessage]:
    """The demo workbook's fullest digest and its summary, rendered as the sync would.
    `url`: pretend the rows live in a Google sheet with that tab URL (row links)."""
    path = init_workbook(folder / "demo.xlsx", locale, demo_for=TODAY)
    env = {"SHEETSYNC_EMAIL_MANAGER_SUMMARY": "yes", "SHEETSYNC_EMAIL_OUTBOX": str(folder)}
    settings = load_settings(environ=env, workbook=str(path))
    grids = XlsxBackend(path).read()
    loaded = load(grids, settings)
    calendar = WorkCalendar(settings.holidays)
    result = compute(loaded, TODAY, calendar)
    mailer = Mailer(settings.email, folder / "journal.jsonl")
    mailer.where(str(path), url)
    result.log = mailer.recorded(result.log, grids)
    mails = mailer.plan(loaded, result, TODAY, calendar)
    renderer = Renderer(mailer.locale, settings.email.sender)
    now = dt.datetime.combine(TODAY, dt.time(8))
    digests = [m for m in mails if m.kind == "digest"]
    digest = max(digests, key=lambda m: len(m.context["tasks"]) + len(m.context["upcoming"]))
    summary = next(m for m in mails if m.kind == "summary")
    return {"digest": renderer.render(digest, now), "summary": renderer.render(summary, now)}


def demo_alert(folder: Path, locale: str = "zh") -> EmailMessage:
    """A complaint alert from the demo workbook, rendered as the sync would (one of its
    customers given a complaint in 客户反馈 if none has one)."""
    from sheetsync.delivery import alerts
    from sheetsync.delivery.remind import Addresses, read_team

    path = init_workbook(folder / "alert.xlsx", locale, demo_for=TODAY)
    _complain(path, locale)
    settings = load_settings(environ={"SHEETSYNC_EMAIL_OUTBOX": str(folder)}, workbook=str(path))
    loaded = load(XlsxBackend(path).read(), settings)
    result = compute(loaded, TODAY, WorkCalendar(settings.holidays))
    team = read_team(loaded.team)
    addresses = Addresses(team, settings.email.fallback, loaded.locale)
    mails = alerts.plan_alerts(result.board, team, addresses, None, alerts._phones(loaded.team))
    renderer = Renderer(loaded.locale, settings.email.sender, alerts.TEMPLATES)
    return renderer.render(mails[0], dt.datetime.combine(TODAY, dt.time(8)))


def _complain(path: Path, locale: str) -> None:
    """The first customer's 客户反馈 says they want out of the contract."""
    import openpyxl

    from sheetsync.workbook.schema import FOLLOWUPS, TEAM

    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title(locale)]
    wanted = _title(FOLLOWUPS.column("feedback"), locale)
    header = {c.value: c.column for c in sheet[1]}
    words = (
        "Customer asks to terminate the contract"
        if locale == "en"
        else "客户要求解除合同,对交付不满"
    )
    row = sheet.cell(2, header[wanted])
    row.value = words
    owner = sheet.cell(2, header[_title(FOLLOWUPS.column("owner"), locale)]).value
    team = book[TEAM.title(locale)]  # the owner's 手机, which the demo's team tab leaves out
    columns = {c.value: c.column for c in team[1]}
    mobile = columns.get(_title(TEAM.column("mobile"), locale))
    for cells in team.iter_rows(min_row=2):
        if mobile and cells[0].value == owner:
            team.cell(cells[0].row, mobile).value = "138 0013 8000"
    book.save(path)


def _title(column, locale: str) -> str:
    return column.en if locale == "en" else column.zh


def browser_html(message: EmailMessage) -> str:
    """The HTML part with its cid: pictures inlined as data: URIs, as a mail client shows it."""
    text = message.get_body(("html",)).get_content()
    for part in message.walk():
        cid = (part["Content-ID"] or "").strip("<>")
        if cid:
            data = base64.b64encode(part.get_content()).decode()
            text = text.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return text


def _run(browser: str, width: int, height: int, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=3000",
            *args,
        ]
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def _hosted(page: Path, width: int, height: int, extra: str = "") -> Path:
    """`page` in an iframe `width` px wide (see HOST), as a file beside it."""
    mail = page.read_text(encoding="utf-8").replace("</body>", extra + "</body>")
    hosted = page.with_name(f"{page.stem}-{width}.html")
    text = HOST.format(page=html.escape(mail, quote=True), width=width, height=height)
    hosted.write_text(text, encoding="utf-8")
    return hosted


def measure(browser: str, page: Path, width: int) -> dict:
    """Viewport width, the page's scroll width and height, and the elements sticking out."""
    probe = _hosted(page, width, 900, MEASURE)
    dom = _run(browser, max(width, 500), 900, "--dump-dom", probe.as_uri())
    probe.unlink()
    found = re.search(r"data-measure=\"([^\"]*)\"", dom)
    if not found:
        raise RuntimeError(f"chromium did not measure {page}")
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def screenshot(browser: str, page: Path, width: int, png: Path) -> dict:
    """The whole page at `width` as PNG (as tall as the page); returns the measurements."""
    size = measure(browser, page, width)
    height = min(size.get("content") or size["height"], 16000)  # a short mail: no grey tail
    hosted = _hosted(page, width, height)
    _run(browser, max(width, 500), height, f"--screenshot={png}", hosted.as_uri())
    hosted.unlink()
    return size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", help="folder for the PNGs and HTML")
    parser.add_argument("--locale", default="zh")
    parser.add_argument(
        "--only", choices=("mail", "alert"), help="only the digest and summary, or the alert"
    )
    args = parser.parse_args()
    browser = chromium()
    if browser is None:
        print("chromium not found: install it to render mail", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        messages = {} if args.only == "alert" else demo_mails(Path(folder), args.locale)
        widths = dict.fromkeys(messages, WIDTHS)
        if args.only != "mail":
            messages["alert"], widths["alert"] = demo_alert(Path(folder), args.locale), (390,)
        for name, message in messages.items():
            page = Path(folder) / f"{name}.html"
            page.write_text(browser_html(message), encoding="utf-8")
            for width in widths[name]:
                png = out / f"{name}-{width}.png"
                size = screenshot(browser, page, width, png)
                state = "ok" if size["scroll"] <= size["width"] else f"TOO WIDE {size['wide']}"
                print(f"{png}: {size['height']} px tall, {state}")
        if "summary" in messages:
            (out / "summary-390.png").replace(out / "summary-mail.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

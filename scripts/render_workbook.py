"""Render a workbook to PDF and PNG pages with LibreOffice, to look at it as a manager would.

Not part of CI (it needs LibreOffice and poppler-utils: `apt-get install libreoffice-calc
poppler-utils fonts-wqy-zenhei`). Usage:

    python3 run.py demo && python3 scripts/render_workbook.py demo/sheetsync-demo.xlsx

It prints the PNG of the summary tab's page; every page is in the output folder.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SUMMARY_TITLES = ("客户跟进汇总", "Follow-up summary")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", default="demo/sheetsync-demo.xlsx")
    parser.add_argument("--out", default="demo/render", help="folder for the PDF and PNGs")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args()
    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: install libreoffice-calc and poppler-utils", file=sys.stderr)
            return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as profile
    ):  # a private profile: no clash with a running LibreOffice
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                args.workbook,
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    pdf = out / (Path(args.workbook).stem + ".pdf")
    for old in out.glob("page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(args.dpi), "-png", str(pdf), str(out / "page")], check=True
    )
    pages = sorted(out.glob("page-*.png"))
    print(f"{pdf}: {len(pages)} page(s) in {out}")
    for number, page in enumerate(pages, start=1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
        ).stdout
        if text.strip().splitlines()[:1] and text.strip().splitlines()[0] in SUMMARY_TITLES:
            print(f"summary tab: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

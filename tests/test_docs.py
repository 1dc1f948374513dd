"""The README is the user's manual: it must name every command and hold the two set-up lines."""

import subprocess
import sys
from pathlib import Path

import pytest

from sheetsync.ops.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_is_documented(command):
    assert f"`{command}" in README


def test_ci_runs_the_readme_test_command():
    """CI runs each step of the README's test command, in its order (the lint and type checks
    and the slow tests it adds run between and after them)."""
    test_line = next(line.strip() for line in README.splitlines() if "pytest" in line)
    ci = [
        line.strip()
        for line in (Path(__file__).parent.parent / ".ci" / "run").read_text().splitlines()
    ]
    steps = [step.strip() for step in test_line.split("&&")]
    assert all(step in ci for step in steps), (steps, ci)
    assert [ci.index(step) for step in steps] == sorted(ci.index(step) for step in steps)


def test_run_py_help_works_as_a_script():
    root = Path(__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "run.py", "--help"], cwd=root, capture_output=True, text=True
    )
    assert out.returncode == 0 and "sync" in out.stdout


def test_the_workbook_contract_doc_is_generated_from_the_schema():
    from sheetsync.workbook.docs import DOC, updated

    text = DOC.read_text(encoding="utf-8")
    assert updated(text) == text, "run `python3 -m sheetsync.workbook.docs`"
    assert "`维护责任人`" in text and "`負責人`" in text  # synonyms and traditional forms


def test_the_readme_links_only_inside_the_repository():
    assert "../shared" not in README and "docs/workbook.md" in README

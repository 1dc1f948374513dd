"""The layout shows the pipeline, and dependencies point one way: the contract and the rules
are pure (no backend, no mail, no network, no command line), delivery never reaches for a
backend, and nothing imports the operations layer."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "sheetsync"
IO_LIBRARIES = {
    "smtplib",
    "socket",
    "requests",
    "gspread",
    "google",
    "openpyxl",
    "python_calamine",
    "lxml",
    "subprocess",
    "aiosmtpd",
    "filelock",
}
MAY_IMPORT = {
    # resources: where the packaged templates and default rules are (imports nothing of ours)
    "workbook": {"workbook", "errors", "config", "resources"},
    "rules": {"workbook", "rules", "errors", "config"},
    # feishu_api: the one Feishu app client, shared by the Feishu sheet and the app's messages
    "delivery": {"workbook", "rules", "delivery", "errors", "config", "feishu_api", "resources"},
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_what_it_may(layer):
    for module in sorted((PACKAGE / layer).glob("*.py")):
        imported = _imports(module)
        ours = {n.split(".")[1] for n in imported if n.startswith("sheetsync.")}
        assert ours <= MAY_IMPORT[layer], (
            f"{module.name} imports sheetsync.{ours - MAY_IMPORT[layer]}"
        )
        if layer != "delivery":  # mail transports are delivery's job
            assert not {n.split(".")[0] for n in imported} & IO_LIBRARIES, module.name


def test_nothing_outside_the_operations_layer_imports_it():
    for module in PACKAGE.rglob("*.py"):
        if "ops" in module.parts or module.name in ("__main__.py", "bench.py"):
            continue
        assert not any(n.startswith("sheetsync.ops") for n in _imports(module)), module


def test_a_run_loads_only_the_libraries_its_workbook_and_channels_need():
    """A daily .xlsx run with mail and no chat bot never loads apprise (with requests and
    the vendors' plugins: a quarter of a second and ~25 MB), nor gspread and google-auth."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, sheetsync.ops.app; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    ).stdout.split()
    unneeded = {name.split(".")[0] for name in loaded} & {
        "apprise",
        "requests",
        "gspread",
        "google",
    }
    assert not unneeded

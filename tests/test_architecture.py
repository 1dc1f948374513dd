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
    "workbook": {"workbook", "errors", "config", "yaml_files", "resources"},
    "rules": {"workbook", "rules", "errors", "config"},
    # feishu_api: the one Feishu app client, shared by the Feishu sheet and the app's messages
    "delivery": {
        *("workbook", "rules", "delivery", "errors", "config", "feishu_api", "resources"),
        "settings_sections",  # the settings it takes, from where they are defined
    },
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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_at_load(path: Path, modules: set[str]) -> set[str]:
    """The sheetsync modules `path` imports when it is loaded or type-checked: every import
    outside a function's body (`if TYPE_CHECKING:` blocks included: mypy follows them),
    each name taken to the module that defines it (`from a.b import c`: a.b, or a.b.c when
    c is a module)."""
    found = set()
    stack = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue  # run when called: a deliberately late import
        stack.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            found |= {name} if name else set()
    return found - {_module_name(path)}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of `graph` (module -> the modules it imports), or []."""
    state: dict[str, str] = {}  # "open" while its imports are walked, then "done"

    def walk(module: str, trail: list[str]) -> list[str]:
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                return [*trail[trail.index(imported) :], imported]
            if imported not in state and (found := walk(imported, [*trail, imported])):
                return found
        state[module] = "done"
        return []

    for module in sorted(graph):
        if module not in state and (found := walk(module, [module])):
            return found
    return []


def test_no_two_modules_import_each_other():
    """A circle (a imports b, b imports a, however long the way round) makes the order of
    loading matter and hides which module depends on which: none among sheetsync's modules.
    (pipeline <-> report over the run's Result, and config <-> backends, were two.)"""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: _imported_at_load(p, set(paths)) for m, p in paths.items()}
    assert _cycle(graph) == []


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"] and _cycle({"a": {"b"}, "b": set()}) == []


def test_settings_never_reach_for_a_backend():
    """config reads settings; the backends take them. Which text names an online sheet is
    sheetsync/locations.py's, for both: config imports no backend, not even in a function."""
    imported = _imports(PACKAGE / "config.py")
    assert not any(n.startswith("sheetsync.backends") for n in imported)


FILE_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "load_yaml"}
FILE_CALLS |= {"safe_load", "load", "full_load", "unsafe_load"}  # yaml.*, json.load(file)
# workbook/docs.py regenerates the generated part of docs/workbook.md (a maintainer's
# command, run from ops): the one file of the layer that may touch the disk.
MAY_ACCESS_FILES = {"docs.py"}


def _file_access(path: Path) -> list[str]:
    """Each call in `path` that reads or writes a file: `open(...)`, `Path.open/read_text/
    read_bytes/write_*`, a YAML or JSON load, `load_yaml`, and any `read_*` method called on
    a path (`.read_csv`, `.read_excel`...)."""
    found = []
    calls = [
        n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)
    ]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        on = getattr(getattr(node.func, "value", None), "id", "")
        reads = name.startswith("read_") and on in {"pd", "pandas", "Path", "yaml", "json"}
        if name in FILE_CALLS or reads or name in {"read_text", "read_bytes"}:
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node.func)}(...)")
    return found


@pytest.mark.parametrize("layer", ["rules", "workbook"])
def test_the_rules_and_the_contract_touch_no_file(layer):
    """The rules and the workbook contract are pure: what they need from a file (the
    shipped defaults, the layout) is read outside them (sheetsync/yaml_files.py, loading.py)
    and passed in, so the same tabs and `today` always give the same answer."""
    modules = [m for m in sorted((PACKAGE / layer).glob("*.py")) if m.name not in MAY_ACCESS_FILES]
    assert [call for m in modules for call in _file_access(m)] == []
    if layer == "rules":  # nor through the template, which builds workbooks from the files
        assert [m.name for m in modules if "sheetsync.workbook.template" in _imports(m)] == []


def test_the_file_access_finder_finds_reads(tmp_path):
    import textwrap

    source = """
        import yaml
        open("a"); Path("b").read_text(); p.read_bytes(); yaml.safe_load(x); load_yaml(t)
        frame = pd.read_csv(f); path.open(); rows.load_value(); frame.read_only
    """
    sample = tmp_path / "sample.py"
    sample.write_text(textwrap.dedent(source), encoding="utf-8")
    calls = [c.split(" ")[1] for c in _file_access(sample)]
    assert calls == [
        "open(...)",
        "Path('b').read_text(...)",
        "p.read_bytes(...)",
        "yaml.safe_load(...)",
        "load_yaml(...)",
        "pd.read_csv(...)",
        "path.open(...)",
    ]

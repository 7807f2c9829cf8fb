"""The layers of ../shared/DESIGN.md: imports point downwards only, and the stages never import a scenario."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "salesgen"  # the layers are its subpackages
# What each layer may import of ours (besides itself), from DESIGN.md's table.
MAY_IMPORT = {
    "core": set(),
    "llm": {"core"},
    "generate": {"llm", "core"},
    "judge": {"llm", "core"},
    "evaluate": {"core"},
    "reports": {"evaluate", "core"},
    "scenarios": {"generate", "judge", "evaluate", "llm", "core"},
}
OURS = set(MAY_IMPORT) | {"app"}


def imports_of(path: Path) -> set[str]:
    """The layers of ours a module imports (at any depth: a deferred import is still a dependency); the tools
    beside the package (bench, tests, tools) by their own name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for n in names:
            parts = n.split(".")
            if parts[0] == "salesgen" and len(parts) > 1 and parts[1] in OURS:
                found.add(parts[1])
            elif parts[0] in ("bench", "tests", "tools", "run"):
                found.add(parts[0])
    return found


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_the_layers_below_it(layer):
    # A package's __main__.py is an entry point (`python -m salesgen.evaluate`), like run.py: it may wire everything.
    wrong = {str(p.relative_to(ROOT)): sorted(bad) for p in sorted((PKG / layer).rglob("*.py"))
             if p.name != "__main__.py" and (bad := imports_of(p) - MAY_IMPORT[layer] - {layer})}
    assert not wrong, wrong


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from salesgen.scenarios.sales import episode\n    import salesgen.app.cli\n"
                   "    from tools import fault_server\n")
    assert imports_of(bad) == {"scenarios", "app", "tools"}


# The sales knowledge still in core/ (the catalog, product names, the file formats): the simulator must not read it.
# The panel reads the catalog's names and words; prices, decisions and claims are the scenario's (the layer test
# above keeps judge/ and generate/ out of scenarios/).
NOT_FOR_STAGE = {"generate": {"salesgen.core.catalog", "salesgen.core.mentions", "salesgen.core.formats"}}


def _from_imports(p: Path) -> set[str]:
    return {n.module for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ImportFrom) and n.module}


@pytest.mark.parametrize("stage", sorted(NOT_FOR_STAGE))
def test_a_stage_knows_roles_moves_and_lines_not_sales(stage):
    used = {str(p.relative_to(ROOT)): sorted(bad) for p in sorted((PKG / stage).rglob("*.py"))
            if (bad := _from_imports(p) & NOT_FOR_STAGE[stage])}
    assert not used, used


def test_the_sales_judges_join_the_panel_only_through_their_scenario():
    # A fresh interpreter: the test session has already loaded every scenario (conftest).
    code = ("from salesgen.judge.panel import load_weights\n"
            "try:\n    load_weights()\nexcept Exception as e:\n    print('before:', e)\n"
            "from salesgen.scenarios import load_all\nload_all()\nfrom salesgen.judge.base import GATES, registry\n"
            "print('after:', sorted(n for n, c in registry().items()"
            " if c.__module__.startswith('salesgen.scenarios.sales.')), sorted(GATES))\nload_weights()\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "before: " in out and "unknown judge" in out
    after = out.split("after:", 1)[1]
    assert all(n in after for n in ("'accuracy'", "'decision'", "'sale_success'", "'llm_judge'", "'floor'"))


def module_graph(root: Path, packages: set[str]) -> dict[str, set[str]]:
    """Each module of ours ("salesgen.app.cli") and the modules of ours it imports, at any depth (a deferred import is a
    dependency too); `from pkg import name` counts as pkg.name when that is a module, else as pkg."""
    mods = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
            for pkg in packages for p in (root / pkg).rglob("*.py")}

    def module(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for m, p in mods.items():
        names = []
        for node in ast.walk(ast.parse(p.read_text(), str(p))):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [f"{node.module}.{a.name}" for a in node.names]
        graph[m] = {d for n in names if (d := module(n)) and d != m}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_of_ours_imports_one_that_imports_it_back():
    assert cycles(module_graph(ROOT, {"salesgen", "tools"})) == []


def test_the_circle_check_sees_a_deferred_circle(tmp_path):
    app = tmp_path / "salesgen" / "app"
    app.mkdir(parents=True)
    (app / "a.py").write_text("from salesgen.app.b import f\n")
    (app / "b.py").write_text("def f():\n    from salesgen.app import a\n")
    (app / "c.py").write_text("import salesgen.app.a\n")
    assert cycles(module_graph(tmp_path, {"salesgen"})) == [["salesgen.app.a", "salesgen.app.b"]]


def test_flags_are_parsed_only_at_the_top():
    # DESIGN.md: nothing below the entry points parses command-line flags; `python -m salesgen.evaluate` hands its
    # flags to app/.
    parsing = [str(p.relative_to(ROOT)) for layer in MAY_IMPORT for p in sorted((PKG / layer).rglob("*.py"))
               if "argparse" in {n.name for node in ast.walk(ast.parse(p.read_text())) if isinstance(node, ast.Import)
                                 for n in node.names}]
    assert parsing == []

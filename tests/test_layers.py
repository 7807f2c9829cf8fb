"""The layers of ../shared/DESIGN.md: imports point downwards only, and the stages never import a scenario."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
OURS = set(MAY_IMPORT) | {"app", "bench", "tools", "tests", "run"}


def imports_of(path: Path) -> set[str]:
    """The top-level packages of ours a module imports (at any depth: a deferred import is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        found |= {n.split(".")[0] for n in names if n.split(".")[0] in OURS}
    return found


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_a_layer_imports_only_the_layers_below_it(layer):
    # A package's __main__.py is an entry point (`python -m evaluate`), like run.py: it may wire everything.
    wrong = {str(p.relative_to(ROOT)): sorted(bad) for p in sorted((ROOT / layer).rglob("*.py"))
             if p.name != "__main__.py" and (bad := imports_of(p) - MAY_IMPORT[layer] - {layer})}
    assert not wrong, wrong


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from scenarios.sales import episode\n    import app.cli\n")
    assert imports_of(bad) == {"scenarios", "app"}


# The sales knowledge that still sits in core/ (the judges read it there): the simulator must not.
SALES_IN_CORE = {"core.catalog", "core.prices", "core.decisions", "core.mentions", "core.formats"}


def test_the_simulator_knows_roles_moves_and_lines_not_sales():
    used = {}
    for p in sorted((ROOT / "generate").rglob("*.py")):
        mods = {n.module for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ImportFrom) and n.module}
        if bad := mods & SALES_IN_CORE:
            used[str(p.relative_to(ROOT))] = sorted(bad)
    assert not used, used

"""The tests follow the layers too: a story imports its builders from tests.builders, never from another test
module or a conftest (a conftest keeps only fixtures; pytest finds those by itself)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(tree: ast.Module, path: Path) -> set[str]:
    """Every module an import may name, at any depth of the file: `from a.b import c` may import a.b or a.b.c."""
    package = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def is_test_module_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.split(".")[0] == "tests" and (last.startswith("test_") or last == "conftest")


def test_no_test_module_or_conftest_imports_another():
    offences = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for module in sorted(imported_modules(tree, path)):
            if is_test_module_or_conftest(module):
                offences.append(f"{path.relative_to(TESTS.parent)} imports {module}")
    assert not offences, "import builders from tests.builders instead:\n" + "\n".join(offences)


def test_the_check_sees_the_imports_it_forbids():
    source = """
from tests.checklists.conftest import build_scene
from tests.checklists import test_step_pages
from .conftest import thing
def story():
    import tests.maintenance.test_runbook_pdf
"""
    found = imported_modules(ast.parse(source), TESTS / "inventory" / "test_example.py")
    forbidden = sorted(m for m in found if is_test_module_or_conftest(m))
    assert forbidden == [
        "tests.checklists.conftest",
        "tests.checklists.test_step_pages",
        "tests.inventory.conftest",
        "tests.maintenance.test_runbook_pdf",
    ]

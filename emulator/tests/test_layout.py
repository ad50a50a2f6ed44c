"""The emulator's code stays readable in parts, and its tests stay black-box.

Read as source text: nothing of the package is imported here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "stripe_emulator"
TESTS = Path(__file__).resolve().parent
MAX_FILE_LINES = 400
MAX_CLASS_LINES = 250
PUBLIC = {"Emulator", "StateFileError"}
"""What a test may import from the package: start an emulator, and name its error."""

SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines_and_no_class_over_250(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_FILE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            assert node.end_lineno - node.lineno + 1 <= MAX_CLASS_LINES, node.name


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_the_tests_use_the_emulator_over_http_only(path: Path) -> None:
    """HTTP, the stripe SDK, and ``Emulator`` to start one: never its internals."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("stripe_emulator"):
            assert node.module == "stripe_emulator", f"{path.name} imports {node.module}"
            assert {alias.name for alias in node.names} <= PUBLIC
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("stripe_emulator") for a in node.names)

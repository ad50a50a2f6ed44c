"""The mail server's code stays readable in parts, and its tests stay black-box.

Read as source text: nothing of the package is imported here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "local_mail"
TESTS = Path(__file__).resolve().parent
MAX_FILE_LINES = 400
MAX_CLASS_LINES = 250
PUBLIC = {
    "MailServer",
    "MailStateError",
    "PortUnavailable",
    "DEFAULT_SMTP_PORT",
    "DEFAULT_WEB_PORT",
    "DEFAULT_MAX_MESSAGE_SIZE",
}
"""What a test may import from the package: start a server, and name its errors."""


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_no_module_is_over_400_lines_and_no_class_over_250(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_FILE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            assert node.end_lineno - node.lineno + 1 <= MAX_CLASS_LINES, node.name


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_the_tests_use_the_server_over_smtp_and_http_only(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("local_mail"):
            assert node.module == "local_mail", f"{path.name} imports {node.module}"
            assert {alias.name for alias in node.names} <= PUBLIC
        if isinstance(node, ast.Import):
            assert not any(a.name.startswith("local_mail") for a in node.names)


def test_every_test_module_has_a_name_of_its_own() -> None:
    """emulator/tests and this folder are plain folders on one sys.path: a second
    `test_cli.py` would shadow the emulator's."""
    emulator_tests = {p.name for p in (TESTS.parents[1] / "emulator" / "tests").glob("*.py")}
    assert emulator_tests.isdisjoint(p.name for p in TESTS.glob("*.py") if p.name != "conftest.py")

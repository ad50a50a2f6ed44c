"""The layer rules are enforced: lint-imports keeps our tree and breaks on a violation."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(config: Path, *pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
        timeout=120,
        check=False,
    )


def _tree_with(tmp_path: Path, module: str, source: str) -> Path:
    """A copy of our import contracts over a skeleton tree holding one extra module."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    src = tmp_path / "src"
    roots = contracts["root_packages"]
    named = {m for c in contracts["contracts"] for m in c.get("source_modules", [])}
    named |= {m for c in contracts["contracts"] for m in c.get("forbidden_modules", [])}
    packages = set(roots) | {m for m in named if m.split(".")[0] in roots}
    for package in sorted(packages):  # parents first
        (src / package.replace(".", "/")).mkdir(parents=True, exist_ok=True)
        (src / package.replace(".", "/") / "__init__.py").write_text("")
    (src / module).with_suffix(".py").write_text(source)
    config = tmp_path / "pyproject.toml"
    config.write_text(_toml(contracts))
    return config


def _toml(contracts: dict[str, object]) -> str:
    lines = ["[tool.importlinter]"]
    lines.append(f"root_packages = {contracts['root_packages']!r}".replace("'", '"'))
    lines.append("include_external_packages = true")
    for contract in contracts["contracts"]:  # type: ignore[attr-defined]
        lines.append("\n[[tool.importlinter.contracts]]")
        for key, value in contract.items():
            rendered = (
                repr(value).replace("'", '"').replace("True", "true").replace("False", "false")
            )
            lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"


def test_our_tree_keeps_every_import_contract() -> None:
    result = _lint_imports(
        ROOT / "pyproject.toml", ROOT / "src", ROOT / "emulator", ROOT / "mailserver"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_a_domain_module_importing_flask_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "domain/leaky", "import flask\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "Domain and application import no framework BROKEN" in result.stdout
    assert "domain.leaky -> flask" in result.stdout


def test_the_application_layer_importing_an_adapter_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "application/leaky", "import adapters\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_the_app_importing_the_emulator_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "entrypoints/leaky", "import stripe_emulator\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_the_emulator_importing_the_app_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "stripe_emulator/leaky", "import domain\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "The Stripe emulator imports nothing of the app or the launcher BROKEN" in result.stdout
    assert "stripe_emulator.leaky -> domain" in result.stdout


def test_the_emulator_importing_the_launcher_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "stripe_emulator/leaky", "import local_run\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "stripe_emulator.leaky -> local_run" in result.stdout


def test_the_app_importing_the_local_mail_server_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "adapters/leaky", "import local_mail\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert "The app never imports the local mail server BROKEN" in result.stdout
    assert "adapters.leaky -> local_mail" in result.stdout


def test_the_local_mail_server_importing_the_app_breaks_the_build(tmp_path: Path) -> None:
    config = _tree_with(tmp_path, "local_mail/leaky", "import application\n")
    result = _lint_imports(config, tmp_path / "src")
    assert result.returncode != 0
    assert (
        "The local mail server imports nothing of the app, the launcher or the emulator BROKEN"
        in result.stdout
    )
    assert "local_mail.leaky -> application" in result.stdout

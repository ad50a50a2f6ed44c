"""`make run`'s launcher refuses the development SECRET_KEY where others could reach it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def launch(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "-m", "local_run"],
        capture_output=True,
        text=True,
        env={**clean, "PORT": "0", **env},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "env",
    [{"HOST": "0.0.0.0"}, {"STRIPE_SECRET_KEY": "sk_test_real_account"}],  # noqa: S104
    ids=["beyond-this-machine", "real-stripe-keys"],
)
def test_the_launcher_needs_a_secret_key_unless_local_and_emulated(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = launch(tmp_path, **env)
    assert result.returncode == 2
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "instance").exists()  # nothing started, nothing written

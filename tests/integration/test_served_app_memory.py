"""A served app (built from the environment, as gunicorn does) keeps its start-up
objects out of the garbage collector's full passes (issue 10, third round)."""

import os
import subprocess
import sys
from pathlib import Path

CODE = """
import gc
from entrypoints.flask_app import create_app
create_app()
print(gc.get_freeze_count())
"""


def test_the_start_up_objects_of_a_served_app_are_frozen(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SECRET_KEY": "served-app-secret-key-0123456789-abcdefgh",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "CATALOG_FILE": str(Path(__file__).parents[2] / "catalog.toml"),
    }
    for name in ("STRIPE_SECRET_KEY", "STRIPE_PRICE_ID"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", CODE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000

"""The repo's copy of Stripe's fixtures is the file shared/ holds (when it is there)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPY = ROOT / "tests" / "fixtures" / "stripe" / "fixtures3.json"
SHARED = ROOT.parent / "shared" / "stripe" / "fixtures3.json"


def test_the_vendored_fixtures_equal_the_shared_ones() -> None:
    if not SHARED.exists():
        pytest.skip(f"no shared fixtures at {SHARED} (a clone outside the workspace)")
    assert COPY.read_bytes() == SHARED.read_bytes()

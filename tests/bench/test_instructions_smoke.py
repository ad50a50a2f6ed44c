"""`python -m bench.instructions` must not rot: its requests, called in-process without
valgrind, get the real pages (a subscriber's premium page, the signed-in home page)
with no cookie sent again. Nothing is timed or counted here. In a process of its own:
it configures logging and freezes the collector's objects, as a served app does."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_counted_requests_get_the_real_pages() -> None:
    command = [sys.executable, "-m", "bench.instructions", "--no-callgrind", "--requests", "3"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    for scenario in ("bare", "premium", "home"):
        assert f"{scenario}: " in done.stdout, done.stdout

"""`make bench` must not rot: its machinery, run for a second against the real stack
(gunicorn, the Stripe emulator, SQLite), gets the real answers. Nothing here is timed:
the rates it measures are not checked, only that every answer was the real one (the
queue mode's too, and a small backlog applied by a real Celery worker on a private
Redis)."""

import shutil
from pathlib import Path

import pytest

from bench.__main__ import BACKLOG, SCENARIOS, bench
from bench.load import run_load
from bench.requests_file import Request
from bench.stack import Server


def test_every_scenario_gets_the_real_answers_from_the_service() -> None:
    rows = bench(duration=1, rounds=1, databases=["sqlite"], tool="python", backlog=100)

    for scenario in SCENARIOS:
        row = rows[("sqlite", scenario.name)]
        (result,) = row.results
        assert result.good > 0, scenario.name
        assert (result.bad, result.socket_errors, row.inbox_errors) == (0, 0, 0), scenario.name
    backlog = rows[("sqlite", BACKLOG)].backlog
    assert backlog is not None
    assert (backlog.events, backlog.queued, backlog.errors) == (100, 100, 0)
    assert backlog.statuses.get("processed", 0) + backlog.statuses.get("ignored", 0) == 100


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_wrk_script_counts_good_and_bad_answers(tmp_path: Path) -> None:
    bare = Server("bare", "bench.hello:app", {}, tmp_path)
    bare.start()
    try:
        hello = [Request("GET", "/", {})]
        good = run_load(
            "wrk", bare.url, hello, tmp_path / "r", duration=1, status=200, texts=("Hello, World!",)
        )
        wrong = run_load(
            "wrk", bare.url, hello, tmp_path / "r", duration=1, status=200, texts=("Goodbye",)
        )
    finally:
        bare.stop()

    assert good.good > 0 and good.errors == 0
    assert wrong.good == 0 and wrong.bad > 0

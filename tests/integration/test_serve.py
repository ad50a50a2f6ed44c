"""`make serve` and `make migrate` as an operator runs them (issue 13): the commands are
read from the Makefile (`make -n`) and run in a folder of the test's own, on SQLite and
a free port on 127.0.0.1, with 2 gunicorn workers."""

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import processes
from tests.support.local_run import free_port
from tests.support.processes import Served, environment, make_command, make_serve

SECRET_KEY = "serve-test-secret-key-0123456789-abcdefghij"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`make serve` with 2 workers on a database not migrated yet."""
    with make_serve(tmp_path, environment(tmp_path, SECRET_KEY=SECRET_KEY)) as served:
        yield served


def migrate(folder: Path) -> subprocess.CompletedProcess[str]:
    return processes.migrate(folder, environment(folder, SECRET_KEY=SECRET_KEY))


def test_make_serve_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        make_command("serve"),
        cwd=tmp_path,
        env=environment(tmp_path, PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: SECRET_KEY is not set")
    assert result.stdout == ""


def test_make_serve_is_ready_once_make_migrate_has_run_while_it_serves(
    served: Served, tmp_path: Path
) -> None:
    before = requests.get(f"{served.url}/readyz", timeout=10)
    migrated = migrate(tmp_path)
    after = requests.get(f"{served.url}/readyz", timeout=10)

    assert (before.status_code, before.text) == (
        503,
        "not ready: database schema not created: run migrate\n",
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "database schema is up to date" in migrated.stdout
    assert (after.status_code, after.text) == (200, "ready\n")
    page = requests.get(f"{served.url}/login", headers={"X-Request-ID": "serve-test-1"}, timeout=10)
    assert page.status_code == 200
    assert page.headers["X-Request-ID"] == "serve-test-1"
    # The app's JSON line, from a worker (gunicorn's own access log is off).
    logged = [line for line in served.log_text().splitlines() if '"serve-test-1"' in line]
    assert len(logged) == 1
    assert '"route":"/login"' in logged[0] and '"status":200' in logged[0]


def test_make_serve_trusts_no_forwarded_header_without_trusted_proxy_hops(
    served: Served, tmp_path: Path
) -> None:
    # gunicorn on its own would take X-Forwarded-Proto from loopback: the page would
    # think it is served over https (HSTS, Secure cookie). TRUSTED_PROXY_HOPS is 0 here.
    answer = requests.get(f"{served.url}/login", headers={"X-Forwarded-Proto": "https"}, timeout=10)

    assert answer.status_code == 200
    assert "Strict-Transport-Security" not in answer.headers
    assert "secure" not in answer.headers.get("Set-Cookie", "").lower()


def _histogram_count(exposition: str, route: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels = sample.labels
            if sample.name.endswith("_count") and labels.get("route") == route:
                return sample.value
    return 0.0


def test_the_metrics_of_two_workers_add_up(served: Served, tmp_path: Path) -> None:
    assert migrate(tmp_path).returncode == 0
    before = _histogram_count(requests.get(f"{served.url}/metrics", timeout=10).text, "/healthz")
    sent = 0

    def get(_: int) -> int:
        return requests.get(f"{served.url}/healthz", timeout=10).status_code

    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        # Concurrent requests, until both workers have answered some (each writes its own
        # file); the kernel decides which worker accepts each connection.
        while True:
            assert set(pool.map(get, range(40))) == {200}
            sent += 40
            if served.answering_pids() >= served.worker_pids():
                break
            assert time.monotonic() < deadline, "one worker answered every request"

    scraped = requests.get(f"{served.url}/metrics", timeout=10)

    assert scraped.status_code == 200
    assert _histogram_count(scraped.text, "/healthz") - before == sent
    assert "premium_notes_database_up 1.0" in scraped.text

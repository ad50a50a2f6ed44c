"""`make serve` and `make migrate` as an operator runs them (issue 13): the commands are
read from the Makefile (`make -n`) and run in a folder of the test's own, on SQLite and
a free port on 127.0.0.1, with 2 gunicorn workers."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support.local_run import REPO_CATALOG, free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "serve-test-secret-key-0123456789-abcdefghij"
START_TIMEOUT = 60.0
# The caller's settings that would change what the server does.
_OWN: tuple[str, ...] = (
    *("SECRET_KEY", "DATABASE_URL", "HOST", "PORT", "BASE_URL", "LOG_FORMAT", "METRICS_"),
    *("TRUSTED_PROXY_", "PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY", "WEB_THREADS", "STRIPE_"),
)


def make_command(target: str) -> list[str]:
    """What `make TARGET` runs, with this test run's virtualenv."""
    shown = subprocess.run(
        [
            "make",
            "-s",
            "-n",
            "-o",
            ".venv/.installed",
            target,
            f"BIN={Path(sys.executable).parent}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (line,) = shown.strip().splitlines()
    return shlex.split(line)


def environment(folder: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
    return {
        **clean,
        "CATALOG_FILE": str(REPO_CATALOG),
        "DATABASE_URL": f"sqlite:///{folder / 'serve.db'}",
        "HOST": "127.0.0.1",
        **env,
    }


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    metrics_dir: Path
    log: Path

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except OSError:
            return set()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`make serve` with 2 workers on a database not migrated yet."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    env = environment(
        tmp_path,
        SECRET_KEY=SECRET_KEY,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            make_command("serve"), cwd=tmp_path, env=env, stdout=sink, stderr=sink, text=True
        )
    served = Served(f"http://127.0.0.1:{port}", process, metrics_dir, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, served.log_text()
            assert time.monotonic() < deadline, f"no answer in time:\n{served.log_text()}"
            try:
                answered = requests.get(f"{served.url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                answered = False
            if answered and len(served.worker_pids()) == 2:
                break
            time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def migrate(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        make_command("migrate"),
        cwd=folder,
        env=environment(folder, SECRET_KEY=SECRET_KEY),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


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

    files = re.compile(r"histogram_(\d+)\.db")
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(8) as pool:
        # Concurrent requests, until both workers have answered some (each writes its own
        # file); the kernel decides which worker accepts each connection.
        while True:
            assert set(pool.map(get, range(40))) == {200}
            sent += 40
            pids = {
                int(m.group(1))
                for p in served.metrics_dir.iterdir()
                if (m := files.fullmatch(p.name))
            }
            if pids >= served.worker_pids():
                break
            assert time.monotonic() < deadline, "one worker answered every request"

    scraped = requests.get(f"{served.url}/metrics", timeout=10)

    assert scraped.status_code == 200
    assert _histogram_count(scraped.text, "/healthz") - before == sent
    assert "premium_notes_database_up 1.0" in scraped.text

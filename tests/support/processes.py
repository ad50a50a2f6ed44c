"""The project's processes as an operator starts them (`make serve`, `make worker`,
`make beat`, `make migrate`): the commands are read from the Makefile (`make -n`) and
run with this test run's virtualenv, in a folder of the test's own, with the settings
the test gives and none of the caller's."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.local_run import REPO_CATALOG, free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
# The caller's settings that would change what the server does.
_OWN: tuple[str, ...] = (
    *("SECRET_KEY", "DATABASE_URL", "HOST", "PORT", "BASE_URL", "LOG_FORMAT", "METRICS_"),
    *("TRUSTED_PROXY_", "PROMETHEUS_MULTIPROC_DIR", "WEB_CONCURRENCY", "WEB_THREADS", "STRIPE_"),
)
_HISTOGRAM_FILE = re.compile(r"histogram_(\d+)\.db")


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
    """The caller's environment without its settings, on SQLite in `folder` and
    127.0.0.1 unless `env` says otherwise."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_OWN)}
    return {
        **clean,
        "CATALOG_FILE": str(REPO_CATALOG),
        "DATABASE_URL": f"sqlite:///{folder / 'serve.db'}",
        "HOST": "127.0.0.1",
        **env,
    }


def stop(child: subprocess.Popen[str], timeout: float) -> None:
    """SIGTERM (a graceful stop), then SIGKILL after `timeout` seconds."""
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@contextmanager
def process(
    command: list[str], folder: Path, env: dict[str, str], name: str
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A subprocess (the command itself, not `make`: a signal must reach it) until the
    block ends; yields the process and its log's path."""
    log = folder / f"{name}.log"
    with log.open("w") as sink:
        child = subprocess.Popen(command, cwd=folder, env=env, stdout=sink, stderr=sink, text=True)
    try:
        yield child, log
    finally:
        stop(child, timeout=30)


def migrate(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`make migrate`, to its end."""
    return subprocess.run(
        make_command("migrate"),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]
    metrics_dir: Path
    log: Path

    def worker_pids(self) -> set[int]:
        """gunicorn's workers now (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return {int(pid) for pid in children.read_text().split()}
        except OSError:
            return set()

    def answering_pids(self) -> set[int]:
        """The workers that have answered a request since the server started: each
        writes its request-latency histogram to a file named by its pid."""
        return {
            int(match.group(1))
            for path in self.metrics_dir.iterdir()
            if (match := _HISTOGRAM_FILE.fullmatch(path.name))
        }

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def make_serve(folder: Path, env: dict[str, str], workers: int = 2) -> Iterator[Served]:
    """`make serve` with `workers` gunicorn workers on a free port, from `env` (see
    `environment`), once /healthz answers and every worker is up; stopped at the end."""
    port = free_port()
    metrics_dir = folder / "metrics"
    env = {
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = folder / "serve.log"
    with log.open("w") as sink:
        child = subprocess.Popen(
            make_command("serve"), cwd=folder, env=env, stdout=sink, stderr=sink, text=True
        )
    served = Served(f"http://127.0.0.1:{port}", child, metrics_dir, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert child.poll() is None, served.log_text()
            assert time.monotonic() < deadline, f"no answer in time:\n{served.log_text()}"
            try:
                answered = requests.get(f"{served.url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                answered = False
            if answered and len(served.worker_pids()) == workers:
                break
            time.sleep(0.1)
        yield served
    finally:
        stop(child, timeout=40)


def requests_by_pid(served: Served, route: str) -> dict[int, float]:
    """How many requests to `route` each gunicorn worker has answered, from the metric
    files it writes (one per pid), read by prometheus_client's own collector."""
    answered: dict[int, float] = {}
    for pid in served.answering_pids():
        with tempfile.TemporaryDirectory() as folder:
            shutil.copy(served.metrics_dir / f"histogram_{pid}.db", folder)
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
            answered[pid] = sum(
                sample.value
                for family in registry.collect()
                for sample in family.samples
                if sample.name.endswith("_count") and sample.labels.get("route") == route
            )
    return answered

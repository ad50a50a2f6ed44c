"""What a bench run starts: databases, gunicorn servers, and their workers' memory."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
import requests
from sqlalchemy import Engine, make_url, text

from adapters.sqlalchemy.database import create_database_engine, migrate

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DATABASE = "premium_notes_bench"
# What `make serve` runs with: the service is measured with its logging and metrics.
SERVE_CONFIG = "python:entrypoints.gunicorn_config"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / 'bench.db'}"


def fresh_postgres(admin_url: str | None = None) -> str:
    """Drop and create the bench's own database (never the tests' one); its URL."""
    admin_url = admin_url or POSTGRES_ADMIN_URL
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {POSTGRES_BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {POSTGRES_BENCH_DATABASE}")
    url = make_url(admin_url).set(database=POSTGRES_BENCH_DATABASE)
    return url.render_as_string(hide_password=False)


def migrated_engine(database_url: str) -> Engine:
    engine = create_database_engine(database_url)
    migrate(engine)
    return engine


def count_events(engine: Engine, prefix: str) -> dict[str, int]:
    """Inbox rows whose event id starts with `prefix`, by status."""
    query = text(
        "SELECT status, count(*) FROM billing_events WHERE event_id LIKE :p GROUP BY status"
    )
    with engine.connect() as connection:
        return {row[0]: int(row[1]) for row in connection.execute(query, {"p": prefix + "%"})}


@dataclass
class Server:
    """gunicorn with WORKERS sync workers on 127.0.0.1, serving `app`, with the
    configuration module `config` (`make serve`'s) under the flags below, if given."""

    name: str
    app: str
    env: Mapping[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    config: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/") -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            "--pythonpath",
            str(ROOT),
            *(("--config", self.config) if self.config else ()),
            self.app,
        ]
        log = (self.workdir / f"{self.name}.log").open("ab")
        env = {**os.environ, **self.env}
        # The workdir, not the repository: no .env or instance/ of a developer's is read.
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=self.workdir, env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_tail()}")
            try:
                requests.get(self.url + ready_path, timeout=5)
            except requests.RequestException:  # not listening yet, or a worker booting
                time.sleep(0.1)
                continue
            if len(self.worker_pids()) == WORKERS:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer in 30 s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        return child_pids(self.process.pid) if self.process is not None else []

    def cpu_seconds(self) -> float:
        """User and system CPU time its workers have used so far."""
        return sum(_cpu_seconds(pid) for pid in self.worker_pids())

    def log_tail(self) -> str:
        return log_tail(self.workdir, self.name)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (gunicorn's workers, a Celery pool's processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in children.read_text().split()]
    except OSError:
        return []


def log_tail(workdir: Path, name: str) -> str:
    """The end of the log a process `name` writes in `workdir`, for an error message."""
    path = workdir / f"{name}.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command's name, which may hold spaces
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class MemoryWatch:
    """Samples the workers' resident memory while load runs (steady: the median of the
    samples; peak: the kernel's high-water mark, VmHWM, of each worker)."""

    def __init__(self, server: Server, interval: float = 0.25) -> None:
        self._server = server
        self._interval = interval
        self.samples_kib: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "MemoryWatch":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            for pid in self._server.worker_pids():
                rss = _status_kib(pid, "VmRSS")
                if rss is not None:
                    self.samples_kib.append(rss)

    def peak_kib(self) -> int:
        peaks = [_status_kib(pid, "VmHWM") for pid in self._server.worker_pids()]
        return max((p for p in peaks if p is not None), default=0)


SHARED_REDIS_URL = "redis://127.0.0.1:6379/15"  # only when redis-server is not installed


@dataclass
class Broker:
    """The queue mode's Redis: a private redis-server on a free port of 127.0.0.1 (no
    persistence), or, without redis-server, database 15 of the one on 6379. Each
    service gets a database of its own (`url(db)`)."""

    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    base_url: str = SHARED_REDIS_URL

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            return
        port = free_port()
        folder = self.workdir / "redis"
        folder.mkdir(exist_ok=True)
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(folder)]
        self.process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.base_url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(self.base_url, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    @property
    def private(self) -> bool:
        return self.process is not None

    def url(self, db: int) -> str:
        """A database of its own for one service (the shared server's 15 for all)."""
        if not self.private:
            return self.base_url
        return self.base_url.rsplit("/", 1)[0] + f"/{db}"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

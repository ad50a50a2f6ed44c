"""The queue mode's side of a bench: checking the inbox after an acknowledgement load,
and the backlog: events stored as received and queued, then applied by one Celery worker
started as `make worker` starts it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import Engine, text

from bench.load import LoadResult, run_load
from bench.requests_file import Request
from bench.stack import Server, _cpu_seconds, child_pids, count_events, log_tail

# The queue mode's answer to a new event (Flask's JSON: sorted keys, compact).
QUEUED_TEXT = '"duplicate":false,"received":true,"status":"received"'
CELERY_QUEUE = "celery"  # Celery's default queue: a Redis list of that name
STALL_SECONDS = 60  # no event applied for this long: the backlog run gives up
POLL_SECONDS = 0.1


def ack_errors(engine: Engine, prefix: str, result: LoadResult) -> int:
    """After an acknowledgement load with no worker: events answered "received" but not
    in the inbox as received, plus any in another state (nobody should have applied one)."""
    counts = count_events(engine, prefix)
    received = counts.get("received", 0)
    others = sum(n for status, n in counts.items() if status != "received")
    return max(0, result.good - received) + others


def clear(engine: Engine, prefix: str, broker_url: str) -> None:
    """Forget an acknowledgement load's events: their inbox rows and their messages."""
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM billing_events WHERE event_id LIKE :p"), {"p": prefix + "%"}
        )
    redis.Redis.from_url(broker_url).flushdb()


@dataclass
class Worker:
    """`python -m entrypoints.celery_app worker --loglevel INFO` (what `make worker`
    runs: Celery's default concurrency, one pool process a CPU), in the bench's folder."""

    name: str
    env: Mapping[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "entrypoints.celery_app", "worker", "--loglevel", "INFO"]
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=self.workdir, env={**os.environ, **self.env}, stdout=log, stderr=log
        )

    def pool_pids(self) -> list[int]:
        return child_pids(self.process.pid) if self.process is not None else []

    def cpu_seconds(self) -> float:
        """User and system CPU time of the main process and its pool processes."""
        if self.process is None:
            return 0.0
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *self.pool_pids()])

    def log_tail(self) -> str:
        return log_tail(self.workdir, self.name)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # Celery's warm shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Backlog:
    events: int
    posted: LoadResult | None = None
    queued: int = 0  # messages in the broker before the worker started
    applied: int = 0  # events that left `received` while timed
    seconds: float = 0.0  # from the first event applied to none left received
    cpu_seconds: float = 0.0  # the worker's, over the same time
    pool_processes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


def _received(engine: Engine, prefix: str) -> int:
    query = text(
        "SELECT count(*) FROM billing_events WHERE status = 'received' AND event_id LIKE :p"
    )
    with engine.connect() as connection:
        return int(connection.execute(query, {"p": prefix + "%"}).scalar_one())


def run_backlog(
    server: Server,
    engine: Engine,
    broker_url: str,
    worker_env: Mapping[str, str],
    events: list[Request],
    prefix: str,
    workdir: Path,
) -> Backlog:
    """Post `events` (each once) to the queue mode's /webhook with no worker running,
    check that each is stored as received and queued, then start one worker and time
    it until none is left received. Every event must end processed or ignored."""
    backlog = Backlog(events=len(events))
    broker = redis.Redis.from_url(broker_url)
    broker.flushdb()
    backlog.posted = run_load(
        "python",
        server.url,
        events,
        workdir / "backlog.req",
        duration=max(120.0, len(events) / 20),
        status=200,
        texts=(QUEUED_TEXT,),
        once=True,
    )
    backlog.errors += backlog.posted.errors + max(0, len(events) - backlog.posted.requests)
    stored = _received(engine, prefix)
    backlog.errors += len(events) - stored
    backlog.queued = int(broker.llen(CELERY_QUEUE))  # type: ignore[arg-type]
    worker = Worker(f"worker-{server.name}", worker_env, workdir)
    worker.start()
    try:
        left, started, cpu_started, last_change = stored, 0.0, 0.0, time.monotonic()
        while left:
            if worker.process is not None and worker.process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
            cpu = worker.cpu_seconds()
            now_left = _received(engine, prefix)
            now = time.monotonic()
            if now_left < left:
                if not started:  # the first events applied: the worker is up; time from here
                    started, cpu_started, stored = now, cpu, now_left
                last_change = now
            left = now_left
            if now - last_change > STALL_SECONDS:
                break
            if left:
                time.sleep(POLL_SECONDS)
        ended = time.monotonic()
        backlog.cpu_seconds = worker.cpu_seconds() - cpu_started
        backlog.pool_processes = len(worker.pool_pids())
    finally:
        worker.stop()
    backlog.applied = stored - left
    backlog.seconds = ended - started if started else 0.0
    backlog.statuses = count_events(engine, prefix)
    done = backlog.statuses.get("processed", 0) + backlog.statuses.get("ignored", 0)
    backlog.errors += len(events) - done
    return backlog

"""`make bench` (`python -m bench`): the service against bare Flask, same gunicorn, same run.

Starts the Stripe emulator in this process, then gunicorn (2 sync workers) serving the
service on SQLite and on PostgreSQL, and a bare Flask hello-world; subscribes a user to
each service through the emulator, as a person would; then, round after round (the
databases in alternating order, bare Flask at the start and the end of each round),
loads each scenario for a fixed time from a separate process on loopback. Every answer
is checked (status and body); the webhook scenarios also check that every event
answered is in the inbox. One line per scenario: rate, p50, p99, errors, ratio to bare
Flask measured in the same round (the median over rounds). Exit status 1 when any
answer was not the real one.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from adapters.stripe.provision import provision
from bench.hash_time import verify_seconds, verify_seconds_side_by_side
from bench.load import LoadResult, choose_tool, run_load
from bench.queue import QUEUED_TEXT, Backlog, ack_errors, clear, run_backlog
from bench.requests_file import Request
from bench.service import (
    PREMIUM_TEXT,
    SIGNED_IN_TEXT,
    STRIPE_KEY,
    Subscriber,
    changing_events,
    login_form,
    same_state_events,
    seed_users,
    seeded_subscription,
    subscribe,
)
from bench.stack import (
    SERVE_CONFIG,
    Broker,
    MemoryWatch,
    Server,
    count_events,
    free_port,
    fresh_postgres,
    fresh_sqlite,
    migrated_engine,
)
from stripe_emulator import Emulator

SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopq"  # noqa: S105
WEBHOOK_TEXTS = ('"status":"processed"', '"status":"ignored"')
BACKLOG = "queue backlog, one worker"
BACKLOG_EVENTS = 10_000
LIMIT_OFF = "1000000 per minute"  # the log-in scenario measures the hash, not the limiter
DATABASES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass
class Service:
    """One database's service, ready to be loaded."""

    name: str
    server: Server
    queue_server: Server | None  # WEBHOOK_PROCESSING=queue, same database
    worker_env: dict[str, str]  # what the queue mode's Celery worker runs with
    engine: Engine
    subscriber: Subscriber
    secret: str
    spread: list[dict[str, Any]]
    change: list[dict[str, Any]]
    login: Request
    next_created: int = 0
    rss_samples_kib: list[int] = field(default_factory=list)
    rss_peak_kib: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    status: int
    texts: tuple[str, ...]
    requests: Callable[[Service, str, int], Iterator[Request] | list[Request]]
    webhook: bool = False
    login: bool = False
    queue: bool = False  # the queue mode's server: answers "received", nobody applies


def _changing(service: Service, prefix: str, count: int) -> Iterator[Request]:
    first = max(service.next_created, int(time.time()))
    service.next_created = first + count // len(service.change) + 2
    return changing_events(prefix, count, service.change, service.secret, first)


SCENARIOS = (
    Scenario(
        "GET /premium, subscriber",
        200,
        (PREMIUM_TEXT,),
        lambda s, _p, _n: [Request("GET", "/premium", s.subscriber.headers)],
    ),
    Scenario(
        "GET / signed in",
        200,
        (SIGNED_IN_TEXT,),
        lambda s, _p, _n: [Request("GET", "/", s.subscriber.headers)],
    ),
    Scenario(
        "POST /webhook, one user",
        200,
        WEBHOOK_TEXTS,
        lambda s, p, n: same_state_events(p, n, [dict(s.subscriber.subscription)], s.secret),
        webhook=True,
    ),
    Scenario(
        "POST /webhook, 1,000 users",
        200,
        WEBHOOK_TEXTS,
        lambda s, p, n: same_state_events(p, n, s.spread, s.secret),
        webhook=True,
    ),
    Scenario(
        "POST /webhook, state changes",
        200,
        WEBHOOK_TEXTS,
        _changing,
        webhook=True,
    ),
    Scenario("POST /login", 303, (), lambda s, _p, _n: [s.login], login=True),
    Scenario(
        "POST /webhook, queue mode",
        200,
        (QUEUED_TEXT,),
        lambda s, p, n: same_state_events(p, n, s.spread, s.secret),
        webhook=True,
        queue=True,
    ),
)


@dataclass
class Row:
    results: list[LoadResult] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    inbox_errors: int = 0
    cpu_ms: list[float] = field(default_factory=list)  # the workers' CPU time per request
    cpu_ratios: list[float] = field(default_factory=list)  # bare Flask's CPU / request over it
    hash_seconds: list[float] = field(default_factory=list)  # log-in: the hash beside its load
    backlog: Backlog | None = None


def start_service(
    name: str,
    emulator: Emulator,
    workdir: Path,
    postgres_url: str | None,
    broker_url: str | None = None,
) -> Service:
    """The service on database `name`; with `broker_url`, also its queue mode
    (WEBHOOK_PROCESSING=queue, same database, same gunicorn settings) on a port of its
    own, and the environment of its worker."""
    database_url = fresh_sqlite(workdir) if name == "sqlite" else fresh_postgres(postgres_url)
    engine = migrated_engine(database_url)
    port = free_port()
    made = provision(
        STRIPE_KEY, webhook_url=f"http://127.0.0.1:{port}/webhook", api_base=emulator.url
    )
    env = {
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_API_BASE": emulator.url,
        "STRIPE_PRICE_ID": made.price_id,
        "STRIPE_WEBHOOK_SECRET": made.webhook_secret,
        "LOGIN_RATE_LIMIT": LIMIT_OFF,
        "LOGIN_RATE_LIMIT_PER_ADDRESS": LIMIT_OFF,
        "REGISTER_RATE_LIMIT": LIMIT_OFF,
    }
    app = "entrypoints.flask_app:create_app()"
    server = Server(name, app, env, workdir, port, config=SERVE_CONFIG)
    server.start(ready_path="/login")
    queue_server, worker_env = None, {}
    if broker_url:
        worker_env = {**env, "WEBHOOK_PROCESSING": "queue", "BROKER_URL": broker_url}
        queue_server = Server(f"{name}-queue", app, worker_env, workdir, config=SERVE_CONFIG)
        queue_server.start(ready_path="/login")
    subscriber = subscribe(server.url, emulator.url, f"subscriber-{name}@example.com", engine)
    emulator.delivery.wait_idle(10)
    template = subscriber.subscription
    seed_users(engine, template, "spread")
    seed_users(engine, template, "change")
    if queue_server is not None:
        # Each worker builds its Celery producer and connects to Redis on its first
        # queued event, as the inline mode's workers warm up on the subscriber's
        # webhooks: a few events first, then forgotten.
        warm = "evt_bench_warm_"
        events = list(same_state_events(warm, 64, [dict(template)], made.webhook_secret))
        run_load(
            "python",
            queue_server.url,
            events,
            workdir / "warm.req",
            duration=60,
            status=200,
            texts=(QUEUED_TEXT,),
            once=True,
        )
        clear(engine, warm, worker_env["BROKER_URL"])
    return Service(
        name=name,
        server=server,
        queue_server=queue_server,
        worker_env=worker_env,
        engine=engine,
        subscriber=subscriber,
        secret=made.webhook_secret,
        spread=[seeded_subscription(template, "spread", i) for i in range(1000)],
        change=[seeded_subscription(template, "change", i) for i in range(1000)],
        login=login_form(server.url, subscriber.email),
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench(
    *,
    duration: float,
    rounds: int,
    databases: list[str],
    tool: str,
    postgres_url: str | None = None,
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    backlog: int = BACKLOG_EVENTS,
) -> dict[tuple[str, str], Row]:
    """Load `scenarios` round after round; then, when `backlog` is not 0, time one
    worker applying that many queued events (`BACKLOG`'s row). The rows by (database,
    scenario)."""
    rows: dict[tuple[str, str], Row] = {(db, s.name): Row() for db in databases for s in scenarios}
    queue = backlog > 0 or any(s.queue for s in scenarios)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        emulator = stack.enter_context(Emulator(port=0, tick_interval=None, delivery_backoff=0.05))
        broker = Broker(workdir)
        if queue:
            broker.start()
            stack.callback(broker.stop)
            if not broker.private:
                log(f"redis-server is not installed: the queue mode uses {broker.url(0)}")
        services = []
        for number, name in enumerate(databases):
            log(f"starting the service on {DATABASES[name]} and subscribing a user ...")
            broker_url = broker.url(number + 1) if queue else None
            service = start_service(name, emulator, workdir, postgres_url, broker_url)
            stack.callback(service.server.stop)
            if service.queue_server is not None:
                stack.callback(service.queue_server.stop)
            stack.callback(service.engine.dispose)
            services.append(service)
        bare = Server("bare", "bench.hello:app", {}, workdir)
        bare.start()
        stack.callback(bare.stop)

        bare_cpu_ms: list[float] = []

        def load_bare() -> float:
            cpu_before = bare.cpu_seconds()
            result = run_load(
                tool,
                bare.url,
                [Request("GET", "/", {})],
                workdir / "bare.req",
                duration=duration,
                status=200,
                texts=("Hello, World!",),
            )
            if result.errors:
                raise RuntimeError(f"bare Flask answered {result.errors} errors")
            cpu_ms = (bare.cpu_seconds() - cpu_before) * 1000 / max(1, result.requests)
            bare_cpu_ms.append(cpu_ms)
            log(
                f"  bare Flask: {result.rate:8.0f}/s  p50 {result.p50_ms:.1f} ms"
                f"  CPU {cpu_ms:.2f} ms a request"
            )
            return result.rate

        for round_number in range(rounds):
            log(f"round {round_number + 1} of {rounds} ({tool}, {duration:g} s a load)")
            before = load_bare()
            order = services if round_number % 2 == 0 else services[::-1]
            measured: list[tuple[tuple[str, str], LoadResult, float]] = []
            for service in order:
                for number, scenario in enumerate(scenarios):
                    prefix = f"evt_bench_r{round_number}_s{number}_"
                    # Enough distinct events for a rate up to 0.6 of bare Flask's (the
                    # queue mode's acknowledgement: up to 1.2 of it).
                    share = 1.2 if scenario.queue else 0.6
                    count = int(before * duration * share) + 500 if scenario.webhook else 1
                    requests = list(scenario.requests(service, prefix, count))
                    hash_before = verify_seconds_side_by_side() if scenario.login else 0.0
                    server = service.queue_server if scenario.queue else service.server
                    assert server is not None
                    cpu_before = server.cpu_seconds()
                    with MemoryWatch(server) as memory:
                        result = run_load(
                            tool,
                            server.url,
                            requests,
                            workdir / "scenario.req",
                            duration=duration,
                            status=scenario.status,
                            texts=scenario.texts,
                        )
                    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / max(1, result.requests)
                    if scenario.login:
                        hashed = (hash_before + verify_seconds_side_by_side()) / 2
                        rows[(service.name, scenario.name)].hash_seconds.append(hashed)
                        log(f"  argon2 verify beside it: {hashed * 1000:.1f} ms of CPU")
                    if not scenario.queue:  # the RSS line is the inline mode's workers'
                        service.rss_samples_kib += memory.samples_kib
                        service.rss_peak_kib = max(service.rss_peak_kib, memory.peak_kib())
                    row = rows[(service.name, scenario.name)]
                    if scenario.queue:  # no worker ran: each event is stored as received
                        row.inbox_errors += ack_errors(service.engine, prefix, result)
                        clear(service.engine, prefix, service.worker_env["BROKER_URL"])
                    elif scenario.webhook:
                        row.inbox_errors += inbox_errors(service.engine, prefix, result)
                    measured.append(((service.name, scenario.name), result, cpu_ms))
                    log(
                        f"  {DATABASES[service.name]:<10} {scenario.name:<30}"
                        f" {result.rate:8.0f}/s  p50 {result.p50_ms:6.1f} ms"
                        f"  p99 {result.p99_ms:6.1f} ms  errors {result.errors}"
                        f"  CPU {cpu_ms:.2f} ms a request"
                    )
            after = load_bare()
            bare_rate = (before + after) / 2
            bare_cpu = statistics.mean(bare_cpu_ms[-2:])
            for key, result, cpu_ms in measured:
                rows[key].results.append(result)
                rows[key].ratios.append(result.rate / bare_rate)
                rows[key].cpu_ms.append(cpu_ms)
                rows[key].cpu_ratios.append(bare_cpu / cpu_ms if cpu_ms else 0.0)
        if backlog:
            for service in services:
                timed = time_backlog(service, backlog, workdir)
                rows[(service.name, BACKLOG)] = Row(backlog=timed, inbox_errors=timed.errors)
        report(rows, services, tool, duration, rounds)
    return rows


def time_backlog(service: Service, count: int, workdir: Path) -> Backlog:
    """`count` events that each change their subscription (the "state changes"
    scenario's, over its 1,000 users), posted to the queue mode with no worker, then
    applied by one worker."""
    assert service.queue_server is not None
    prefix = "evt_bench_backlog_"
    log(f"  {DATABASES[service.name]:<10} posting {count:,} events to the queue mode ...")
    events = list(_changing(service, prefix, count))
    backlog = run_backlog(
        service.queue_server,
        service.engine,
        service.worker_env["BROKER_URL"],
        service.worker_env,
        events,
        prefix,
        workdir,
    )
    log(f"  {DATABASES[service.name]:<10} {backlog_line(backlog)}")
    return backlog


def backlog_line(backlog: Backlog) -> str:
    posted = backlog.posted
    cpu_ms = backlog.cpu_seconds * 1000 / backlog.applied if backlog.applied else 0.0
    statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(backlog.statuses.items()))
    return (
        f"{backlog.events:,} events posted ({posted.rate if posted else 0:.0f}/s, one by one"
        f" on 16 connections), {backlog.queued:,} queued; one worker"
        f" ({backlog.pool_processes} pool processes) applied {backlog.applied:,} in"
        f" {backlog.seconds:.1f} s: {backlog.rate:.0f} events/s, worker CPU"
        f" {cpu_ms:.2f} ms an event; inbox: {statuses}; errors {backlog.errors}"
    )


def inbox_errors(engine: Engine, prefix: str, result: LoadResult) -> int:
    """Events answered 200 but missing from the inbox, plus events recorded as failed."""
    counts = count_events(engine, prefix)
    stored = counts.get("processed", 0) + counts.get("ignored", 0)
    return max(0, result.good - stored) + counts.get("failed", 0)


def report(
    rows: dict[tuple[str, str], Row],
    services: list[Service],
    tool: str,
    duration: float,
    rounds: int,
) -> None:
    print(f"\n{rounds} round(s) of {duration:g} s a load, 16 connections, {tool}; medians")
    print(
        "| scenario | database | req/s | p50 ms | p99 ms | errors | ratio to bare Flask"
        " | worker CPU ms a request | CPU ratio |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (db, name), row in rows.items():
        if not row.results:
            continue
        errors = sum(r.errors for r in row.results) + row.inbox_errors
        wrapped = sum(r.wrapped for r in row.results)
        note = f" ({wrapped} repeats)" if wrapped and "webhook" in name else ""
        print(
            f"| {name} | {DATABASES[db]} | {_median(r.rate for r in row.results):.0f}"
            f" | {_median(r.p50_ms for r in row.results):.1f}"
            f" | {_median(r.p99_ms for r in row.results):.1f}"
            f" | {errors}{note} | {_median(row.ratios):.2f}"
            f" | {_median(row.cpu_ms):.2f} | {_median(row.cpu_ratios):.2f} |"
        )
    for (db, name), row in rows.items():
        if row.backlog is not None:
            print(f"{name} on {DATABASES[db]}: {backlog_line(row.backlog)}")
    alone = verify_seconds(5)
    print(
        f"\nargon2 verify, alone at the end: {alone * 1000:.1f} ms of CPU here; "
        f"2 workers / that = {2 / alone:.1f} log-ins/s"
    )
    for service in services:
        login = rows.get((service.name, "POST /login"))
        if login and login.results:
            rate = _median(r.rate for r in login.results)
            cpu = _median(login.cpu_ms) / 1000
            beside = _median(login.hash_seconds)
            ratio = _median(
                r.rate * h / 2 for r, h in zip(login.results, login.hash_seconds, strict=True)
            )
            print(
                f"log-in on {DATABASES[service.name]}: {rate:.1f}/s = {ratio:.2f} of 2 workers"
                f" / hash time (argon2 verify beside each load, two at once: "
                f"{beside * 1000:.1f} ms; {rate * alone / 2:.2f} of it alone at the end); "
                f"the workers' CPU a log-in: {cpu * 1000:.1f} ms = {cpu / beside:.2f} x the hash's"
            )
        steady = _median(service.rss_samples_kib) / 1024 if service.rss_samples_kib else 0
        print(
            f"worker RSS on {DATABASES[service.name]}: steady {steady:.0f} MiB (median "
            f"under load), peak {service.rss_peak_kib / 1024:.0f} MiB"
        )


def _median(values: Any) -> float:
    listed = list(values)
    return float(statistics.median(listed)) if listed else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds a load (10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="sqlite,postgres (both, the default)"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--postgres-admin-url",
        default=None,
        help="a PostgreSQL URL whose server gets the bench's own database "
        "(default postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument(
        "--scenarios",
        default="",
        help="run only the scenarios whose name holds one of these words, comma-separated "
        "(e.g. 'queue'; default: all)",
    )
    parser.add_argument(
        "--backlog",
        type=int,
        default=BACKLOG_EVENTS,
        help=f"events in the queue backlog one worker applies ({BACKLOG_EVENTS:,}; 0: none)",
    )
    args = parser.parse_args(argv)
    words = [w.strip().lower() for w in args.scenarios.split(",") if w.strip()]
    scenarios = tuple(s for s in SCENARIOS if not words or any(w in s.name.lower() for w in words))
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - set(DATABASES)
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    rows = bench(
        duration=args.duration,
        rounds=args.rounds,
        databases=databases,
        tool=choose_tool(args.loadgen),
        postgres_url=args.postgres_admin_url,
        scenarios=scenarios,
        backlog=max(0, args.backlog),
    )
    failed = any(row.inbox_errors or any(r.errors for r in row.results) for row in rows.values())
    if failed:
        print("\nSome answers were not the real ones (see errors).")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

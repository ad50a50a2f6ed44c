"""What one inline `POST /webhook` costs, counted in-process: no gunicorn, no socket.

    .venv/bin/python -m bench.webhook_cost --users 1000            # round trips, time
    .venv/bin/python -m bench.webhook_cost --database postgresql://postgres@127.0.0.1/x
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.webhook_cost --callgrind --users 1000
    .venv/bin/python -m bench.webhook_cost --profile               # cProfile, top 30

The app is `create_app()` with the settings a served one has (text log line, metrics),
Stripe configured but unreachable (distinct `customer.subscription.updated` events that
repeat the stored state need no API call). USERS users are seeded with one live
subscription each; the events, signed with the webhook secret, go round them (one user:
every event about the same subscription; the first is applied, the rest are ties).
Each request is a WSGI call with an environ built beforehand. `--bare` counts a bare
Flask hello-world the same way (the yardstick of `make bench`).

Round trips are counted on the engine: each statement the driver sends, and each BEGIN,
COMMIT and ROLLBACK (psycopg sends BEGIN before a transaction's first statement; a SQLite
writer begins with BEGIN IMMEDIATE). On SQLite they are calls into the library, not
trips to a server. With `--callgrind` (under valgrind) collection is
switched on around the measured loop only (`callgrind_control -i on/off`), so the count
divided by REQUESTS is the instructions of one request; those do not move with the
machine's load.
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from werkzeug.test import EnvironBuilder

from adapters.sqlalchemy.database import create_database_engine, migrate
from bench.service import seed_users, seeded_subscription, webhook

SECRET = "whsec_test_webhook_cost"  # noqa: S105 (a test secret)
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "stripe" / "fixtures3.json"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def template() -> dict[str, Any]:
    """Stripe's fixture subscription, live, with a period around now."""
    obj: dict[str, Any] = deepcopy(json.loads(FIXTURES.read_text())["resources"]["subscription"])
    now = int(time.time())
    obj.update(status="active", cancel_at_period_end=False, cancel_at=None, ended_at=None)
    obj["canceled_at"] = None
    item = obj["items"]["data"][0]
    item.update(current_period_start=now - 86_400, current_period_end=now + 29 * 86_400)
    return obj


def event_environ(event_id: str, created: int, obj: dict[str, Any]) -> dict[str, Any]:
    """The WSGI environ of the bench's own signed webhook (`bench.service.webhook`)."""
    request = webhook(event_id, created, obj, SECRET)
    builder = EnvironBuilder(
        path=request.path,
        method=request.method,
        data=request.body.encode(),
        headers=list(request.headers.items()),
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    return builder.get_environ()


class RoundTrips:
    """Counts what the engine sends to the database, by kind (first word)."""

    def __init__(self, engine: Engine) -> None:
        self.sent: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        # A transaction's BEGIN, counted once: psycopg sends it before the first
        # statement; a SQLite writer sends BEGIN IMMEDIATE (as a statement, or on the
        # driver's connection), which is not counted again among the statements.
        event.listen(engine, "begin", lambda _c: self._count("BEGIN"))
        event.listen(engine, "commit", lambda _c: self._count("COMMIT"))
        event.listen(engine, "rollback", lambda _c: self._count("ROLLBACK"))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind = statement.split(None, 1)[0].upper()
        if kind != "BEGIN":
            self._count(kind)

    def _count(self, kind: str) -> None:
        self.sent[kind] += 1


def call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(status_line: str, _headers: Any, _exc: Any = None) -> None:
        status.append(status_line)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return status[0], body


def callgrind(switch: str) -> None:
    subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True)  # noqa: S603, S607


def service_app(database_url: str, users: int) -> tuple[WsgiApp, Engine, list[dict[str, Any]]]:
    from entrypoints.flask_app import create_app
    from entrypoints.logs import configure_logging
    from entrypoints.settings import Settings

    engine = create_database_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate(engine)
    obj = template()
    seed_users(engine, obj, "cost")
    objects = [seeded_subscription(obj, "cost", i) for i in range(users)]
    settings = Settings(
        secret_key="bench-" * 8,
        database_url=database_url,
        stripe_secret_key="sk_test_offline",  # noqa: S106 (a test key)
        stripe_price_id=obj["items"]["data"][0]["price"]["id"],
        stripe_webhook_secrets=(SECRET,),
        stripe_api_base="http://127.0.0.1:9",  # unreachable: nothing here calls Stripe
    )
    app = create_app(settings)
    configure_logging(settings.log_format, stream=io.StringIO())  # the served line, kept
    return app, app.extensions["container"].engine(), objects


def environs(prefix: str, count: int, objects: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    created = int(time.time())
    for i in range(count):
        yield event_environ(f"{prefix}{i}", created, objects[i % len(objects)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="a PostgreSQL URL (its schema is dropped!)")
    parser.add_argument("--users", type=int, default=1, help="1 or up to 1000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--bare", action="store_true", help="bare Flask instead")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        if args.bare:
            from bench.hello import app as hello

            bare = EnvironBuilder(path="/", environ_base={"REMOTE_ADDR": "127.0.0.1"})
            warmup = args.warmup
            requests = [bare.get_environ() for _ in range(warmup + args.requests)]
            measured: WsgiApp = hello
            trips = None
            expect = b"Hello"
        else:
            url = args.database or f"sqlite:///{folder}/cost.db"
            measured, engine, objects = service_app(url, args.users)
            warmup = max(args.warmup, len(objects))  # each user's first event is applied
            requests = list(environs("evt_cost_", warmup + args.requests, objects))
            trips = RoundTrips(engine)
            expect = b'"received":true'
        warm, timed = requests[:warmup], requests[warmup:]
        for environ in warm:
            status, body = call(measured, environ)
            assert status.startswith("200") and expect in body, (status, body)
        if trips is not None:
            trips.sent.clear()
        profile = cProfile.Profile() if args.profile else None
        if args.callgrind:
            callgrind("on")
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        answers = [call(measured, environ) for environ in timed]
        elapsed = time.perf_counter() - started
        if profile is not None:
            profile.disable()
        if args.callgrind:
            callgrind("off")
        bad = [a for a in answers if not a[0].startswith("200") or expect not in a[1]]
        each = 1e3 * elapsed / len(timed)
        print(f"{len(timed)} requests, {len(bad)} not the real answer; {each:.3f} ms each")
        if trips is not None:
            per = {kind: count / len(timed) for kind, count in sorted(trips.sent.items())}
            total = sum(per.values())
            kinds = ", ".join(f"{kind} {count:.2f}" for kind, count in per.items())
            print(f"round trips a webhook: {total:.2f} ({kinds})")
        if profile is not None:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
        with contextlib.suppress(Exception):
            if not args.bare:
                engine.dispose()
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

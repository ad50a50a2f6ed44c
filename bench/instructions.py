"""The instructions one request costs, counted in-process under valgrind's callgrind.

Rates on a shared machine move with its load; instruction counts do not. This calls
the app as a WSGI server would (no gunicorn, no socket): a subscriber's `GET /premium`
and `GET /` on SQLite, with `make serve`'s JSON log line (to /dev/null) and bare
Flask's hello-world beside them. Collection is switched on around the timed loop only.

    .venv/bin/python -m bench.instructions                  # counted (valgrind: ~1 min)
    .venv/bin/python -m bench.instructions --no-callgrind   # wall time a request only

Counted, it runs itself again under `valgrind --tool=callgrind --instr-atstart=no`,
which dumps one file per scenario, and prints the instructions a request (millions).
The dumps stay in a temporary folder named on the last line, for callgrind_annotate.
"""

import argparse
import gc
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from adapters.memory import FakePasswordHasher
from adapters.sqlalchemy.database import create_database_engine, migrate
from domain.email import EmailAddress
from domain.subscription import Subscription, SubscriptionStatus
from domain.user import User
from entrypoints.flask_app import create_app
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings

PASSWORD = "bench-password-correct-horse"  # noqa: S105
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) bench"
_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def service(folder: Path) -> Flask:
    database_url = f"sqlite:///{folder / 'instructions.db'}"
    engine = create_database_engine(database_url)
    migrate(engine)
    engine.dispose()
    settings = Settings(
        secret_key="bench-secret-key-0123456789-abcdefghijklmnop",  # noqa: S106
        database_url=database_url,
        stripe_secret_key="sk_test_offline",  # noqa: S106
        stripe_price_id="price_test_1",
        stripe_webhook_secrets=("whsec_test_instructions",),
        stripe_api_base="http://127.0.0.1:9",  # closed: no page here calls Stripe
        log_format="json",
    )
    app = create_app(settings)
    app.extensions["container"].hasher.override(FakePasswordHasher())
    return app


def subscriber_cookie(app: Flask, email: str) -> str:
    """A verified user with an active subscription, logged in: the cookie header."""
    container = app.extensions["container"]
    now = datetime.now(UTC)
    user = User.register(EmailAddress(email), container.hasher().hash(PASSWORD), now)
    user.verify_email(now)
    user.customer_id = "cus_instructions"
    user.subscriptions["sub_instructions"] = Subscription(
        id="sub_instructions",
        status=SubscriptionStatus.ACTIVE,
        as_of=now,
        customer_id="cus_instructions",
        price_id="price_test_1",
        current_period_start=now - timedelta(days=1),
        current_period_end=now + timedelta(days=30),
    )
    with container.uow() as uow:
        uow.users.add(user)
        uow.commit()
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    match = _CSRF.search(client.get("/login", headers=headers).get_data(as_text=True))
    assert match is not None, "no CSRF token on /login"
    data = {"csrf_token": match.group(1), "email": email, "password": PASSWORD}
    answer = client.post("/login", data=data, headers=headers)
    assert answer.status_code == 303, answer.status_code
    assert client.get("/premium", headers=headers).status_code == 200  # its CSRF token made
    cookie = client.get_cookie("session")
    assert cookie is not None
    return f"session={cookie.value}"


def environ_for(path: str, cookie: str | None) -> dict[str, Any]:
    headers = [("User-Agent", USER_AGENT), ("Accept", "text/html")]
    if cookie:
        headers.append(("Cookie", cookie))
    # The address the test client logged in from: Flask-Login's session protection
    # compares it (with the User-Agent), and a different one would re-sign the cookie.
    base = {"REMOTE_ADDR": "127.0.0.1"}
    return EnvironBuilder(path=path, headers=headers, environ_base=base).get_environ()


def call(app: Wsgi, environ: dict[str, Any]) -> bytes:
    """One request; its answer must be a 200 that sends no cookie (a page that re-signs
    its session cookie each time is not the page a browser gets)."""
    status: list[str] = []
    names: list[str] = []

    def start_response(code: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
        status.append(code)
        names.extend(name for name, _ in headers)

    env = dict(environ)
    env["wsgi.input"] = io.BytesIO()
    body = app(env, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    if not status[0].startswith("200"):
        raise RuntimeError(f"{environ['PATH_INFO']} answered {status[0]}")
    if "Set-Cookie" in names:
        raise RuntimeError(f"{environ['PATH_INFO']} sent its cookie again")
    return data


def callgrind(switch: str) -> None:
    subprocess.run(  # noqa: S603
        ["callgrind_control", "-i", switch, str(os.getpid())],  # noqa: S607
        check=True,
        stdout=subprocess.DEVNULL,
    )


def measure(
    name: str, app: Wsgi, environ: dict[str, Any], expect: bytes, count: int, counting: bool
) -> None:
    for _ in range(50):  # warm: caches filled, templates compiled
        body = call(app, environ)
    if expect not in body:
        raise RuntimeError(f"{name}: the answer lacks {expect!r}")
    gc.collect()
    gc.freeze()  # as a served app does after start-up
    if counting:
        callgrind("on")
    started = time.perf_counter()
    for _ in range(count):
        call(app, environ)
    seconds = time.perf_counter() - started
    if counting:
        callgrind("off")
        subprocess.run(  # noqa: S603
            ["callgrind_control", "-d", name.replace(" ", "_"), str(os.getpid())],  # noqa: S607
            check=True,
            stdout=subprocess.DEVNULL,
        )
    else:
        print(f"{name}: {seconds / count * 1e6:.1f} us a request", flush=True)


def under_callgrind(argv: list[str], requests: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="callgrind-"))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={folder}/callgrind.out",
        sys.executable,
        "-m",
        "bench.instructions",
        "--in-callgrind",
        *argv,
    ]
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)  # noqa: S603
    for dump in sorted(folder.glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:])):
        text = dump.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: .*?(\w+)$", text, re.MULTILINE)
        totals = re.search(r"^totals: (\d+)", text, re.MULTILINE)
        if trigger and totals:
            per_request = int(totals.group(1)) / requests / 1e6
            print(f"{trigger.group(1)}: {per_request:.3f} M instructions a request")
    print(f"dumps in {folder}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--in-callgrind", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=("premium", "home", "bare"), action="append")
    args = parser.parse_args(argv)
    if not args.no_callgrind and not args.in_callgrind:
        under_callgrind(argv, args.requests)
        return
    counting = args.in_callgrind
    only = set(args.only or ("premium", "home", "bare"))
    configure_logging("json", open(os.devnull, "w"))  # noqa: SIM115  # as make serve, unseen
    from bench.hello import app as bare

    with tempfile.TemporaryDirectory(prefix="instructions-") as folder:
        app = service(Path(folder))
        cookie = subscriber_cookie(app, "subscriber@example.com")
        if "bare" in only:
            measure("bare", bare, environ_for("/", None), b"Hello", args.requests, counting)
        if "premium" in only:
            premium = environ_for("/premium", cookie)
            measure("premium", app, premium, b"Thank you for subscribing.", args.requests, counting)
        if "home" in only:
            home = environ_for("/", cookie)
            measure("home", app, home, b"Signed in as", args.requests, counting)
        app.extensions["container"].engine().dispose()


if __name__ == "__main__":
    main()

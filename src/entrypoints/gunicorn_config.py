"""gunicorn's configuration for `make serve`: `gunicorn --config python:entrypoints.gunicorn_config
'entrypoints.flask_app:create_app()'`.

A gunicorn configuration module does its work when gunicorn imports it, in the master
process, before any worker starts (the project's "nothing at import time" rule does not
apply to it). It:
- refuses to start, with one line and exit status 2, without SECRET_KEY (the local
  development key is never used here, even next to `make run`'s instance/) or with any
  other setting missing or malformed, before a worker is forked;
- binds HOST:PORT (127.0.0.1:5000, as `make run`);
- runs WEB_CONCURRENCY sync workers, by default 2 per CPU this process may use, plus
  one: a request spends part of its time waiting for the database or Stripe, and a
  second worker per core runs meanwhile. Each worker holds its own database connection
  (workers x hosts must stay under PostgreSQL's max_connections) and ~90 MiB;
- no threads by default (WEB_THREADS=N > 1 switches to gunicorn's gthread workers):
  a page costs about 1 ms of CPU under the GIL, so threads add no throughput there
  (the bench runs sync workers); they help only when many requests wait on Stripe at
  once (Subscribe, the billing portal: up to 8 s a call with the SDK's retries);
- `timeout` 60 s: longer than the slowest legitimate request (a Stripe call that times
  out twice and is retried); a worker silent for longer is killed and replaced.
  `graceful_timeout` 30 s: on SIGTERM or a HUP reload, workers finish what they serve;
- trusts no forwarded header itself (`secure_scheme_headers` empty): client address
  and scheme come from proxies only through the app's TRUSTED_PROXY_HOPS (ProxyFix), one
  mechanism, where gunicorn's default would trust X-Forwarded-Proto from loopback;
- logs gunicorn's own lines to stderr; its access log is off because the app writes one
  line a request with the route, request id and user id (LOG_FORMAT), which gunicorn's
  cannot know. `GUNICORN_CMD_ARGS="--access-logfile -"` adds gunicorn's too;
- collects Prometheus metrics across workers: PROMETHEUS_MULTIPROC_DIR (a fresh
  temporary folder unless set; emptied at start, so counts restart with the server),
  and a dead worker's files are marked so (`child_exit`).
It runs no migration: `make migrate` is a separate step (docs/going-live.md).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from dotenv import find_dotenv, load_dotenv

# Nothing imported here may import prometheus_client (the app does): it picks its mode
# when first imported, and PROMETHEUS_MULTIPROC_DIR is set below.
from entrypoints.logs import configure_logging
from entrypoints.settings import ConfigurationError, Settings, settings_for_app


def _refuse(message: str) -> None:
    print(f"Configuration error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        _refuse(f"{name} must be a whole number of at least 1, not {raw!r}.")
    return int(raw)


def _settings() -> Settings:
    load_dotenv(find_dotenv(usecwd=True))  # as create_app() does, from the working directory
    if not os.environ.get("SECRET_KEY"):
        _refuse(
            "SECRET_KEY is not set: make serve needs a random string of at least 32 "
            "characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    try:
        return settings_for_app()
    except ConfigurationError as error:
        _refuse(str(error))
        raise  # unreachable: _refuse exits


def _metrics_dir() -> tuple[Path, bool]:
    """The folder of the workers' metric files, and whether it was made here. Set in the
    environment before any worker imports prometheus_client, which reads it then."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):  # a previous server's counts
            stale.unlink()
        return folder, False
    folder = Path(tempfile.mkdtemp(prefix="premium-notes-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder, True


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_SETTINGS = _settings()
configure_logging(_SETTINGS.log_format)
_METRICS_DIR, _METRICS_DIR_OURS = _metrics_dir()

_host = os.environ.get("HOST") or "127.0.0.1"
_port = os.environ.get("PORT") or "5000"
if not _port.isdigit() or int(_port) > 65535:
    _refuse(f"PORT must be a port number (0-65535), not {_port!r}.")

bind = f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"
workers = _positive("WEB_CONCURRENCY", 2 * _cpus() + 1)
threads = _positive("WEB_THREADS", 1)
worker_class = "sync"  # gunicorn runs gthread workers itself when threads > 1
timeout = 60
graceful_timeout = 30
secure_scheme_headers: dict[str, str] = {}
accesslog = None
errorlog = "-"
loglevel = "info"
# gunicorn's control socket (gunicornc) sits at one path per user: a second server on
# the machine (a canary, the bench) would take it over. Signals do the same work.
control_socket_disable = True


def when_ready(server: Any) -> None:
    from entrypoints.flask_app.rate_limit import warn_if_per_process_limits

    warn_if_per_process_limits(_SETTINGS, server.cfg.workers)  # the flags' count, if given


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess  # in the master, only once workers exist

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _METRICS_DIR_OURS:
        shutil.rmtree(_METRICS_DIR, ignore_errors=True)

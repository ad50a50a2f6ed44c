"""``python -m stripe_emulator``: run the emulator until interrupted.

Ctrl-C or SIGTERM stops it with exit status 0; a port it cannot listen on, or a state
file it cannot read, is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from .emulator import DEFAULT_HOST, DEFAULT_PORT, Emulator
from .state_file import StateFileError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator",
        description="Run an in-memory emulator of Stripe's API v1 (test mode only). "
        "Point the stripe SDK at it with base_addresses={'api': URL} and any sk_test_ "
        "or rk_test_ key.",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"interface to bind (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    parser.add_argument(
        "--webhook",
        metavar="URL",
        help="register a webhook endpoint for all events at start-up",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="WHSEC",
        help="signing secret for --webhook (default: a random whsec_...)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="keep the state in FILE (JSON) between runs (default: in memory only)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (DEBUG shows every request and delivery)",
    )
    args = parser.parse_args(argv)
    if args.webhook_secret and not args.webhook:
        parser.error("--webhook-secret needs --webhook")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    log = logging.getLogger("stripe_emulator")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        emulator = Emulator(args.host, args.port, state_file=args.state)
        emulator.start()
    except StateFileError as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            print(f"Port {args.port} is in use: choose another with --port.", file=sys.stderr)
        else:
            reason = error.strerror or str(error)
            print(f"Cannot listen on {args.host}:{args.port} ({reason}).", file=sys.stderr)
        return 2
    with emulator:
        if args.webhook:
            endpoint = emulator.add_webhook_endpoint(args.webhook, secret=args.webhook_secret)
            log.info(
                "webhook endpoint %s -> %s, signing secret %s",
                endpoint["id"],
                endpoint["url"],
                endpoint["secret"],
            )
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m local_mail``: run the local mail server until interrupted.

Ctrl-C or SIGTERM stops it with exit status 0; a port it cannot listen on, or a state
folder it cannot use, is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from .mailbox import MailStateError
from .server import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_SMTP_PORT,
    DEFAULT_WEB_PORT,
    MailServer,
    PortUnavailable,
)

_OPTION = {"smtp": "--port", "web": "--web-port"}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_mail",
        description="Run a local SMTP server on 127.0.0.1 that keeps every message it "
        "receives, with a web inbox to read them and a JSON API for tests.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_SMTP_PORT,
        help=f"SMTP port (default {DEFAULT_SMTP_PORT}; 0 = any)",
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=DEFAULT_WEB_PORT,
        help=f"web inbox port (default {DEFAULT_WEB_PORT}; 0 = any)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="keep the messages in DIR between runs (default: in memory only)",
    )
    parser.add_argument(
        "--max-message-size",
        type=int,
        default=DEFAULT_MAX_MESSAGE_SIZE,
        metavar="BYTES",
        help=f"refuse larger messages (default {DEFAULT_MAX_MESSAGE_SIZE})",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (DEBUG shows every request and SMTP command)",
    )
    args = parser.parse_args(argv)
    for option, value in (("--port", args.port), ("--web-port", args.web_port)):
        if not 0 <= value <= 65535:
            parser.error(f"{option} must be a port number (0-65535)")
    if args.max_message_size < 1024:
        parser.error("--max-message-size must be at least 1024")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    if args.log_level != "DEBUG":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line a command
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        server = MailServer(
            smtp_port=args.port,
            web_port=args.web_port,
            state_dir=args.state_dir,
            max_message_size=args.max_message_size,
        ).start()
    except MailStateError as error:
        print(error, file=sys.stderr)
        return 2
    except PortUnavailable as error:
        option = _OPTION[error.role]
        if error.errno == errno.EADDRINUSE:
            print(f"Port {error.port} is in use: choose another with {option}.", file=sys.stderr)
        else:
            print(f"Cannot listen on 127.0.0.1:{error.port} ({error.strerror}).", file=sys.stderr)
        return 2
    with server:
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

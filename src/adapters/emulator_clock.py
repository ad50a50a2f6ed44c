"""The Stripe emulator's clock, for the embedded local default.

Tests and demos move the emulator's clock to see renewals, failed payments and
cancellations; the app must judge access (the past-due grace, a period's end) on that
same clock, or time travel would stop at the app. This adapter asks the emulator
(`GET /_emulator/clock`) over HTTP; the app never imports the emulator.
"""

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from application.ports import Clock

log = logging.getLogger(__name__)


class EmulatorClock(Clock):
    """The time on the Stripe emulator's default clock: real time plus its offset.

    Each reading asks the emulator for its offset (a loopback call of about a
    millisecond), so a clock moved a moment ago is seen at once. When the emulator
    does not answer, the last offset it gave (none at first) is used and a warning
    logged once, so pages keep working on the time last known.
    """

    def __init__(
        self, url: str, *, timeout: float = 2.0, wall: Callable[[], float] = time.time
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"the emulator's clock URL must be http(s), not {url!r}")
        self._url = url
        self._timeout = timeout
        self._wall = wall
        self._offset = 0.0
        self._unreachable = False

    def now(self) -> datetime:
        try:
            # The scheme was checked to be http(s) (S310 warns of file: and others).
            with urllib.request.urlopen(self._url, timeout=self._timeout) as answer:  # noqa: S310
                offset = float(json.load(answer)["offset"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            if not self._unreachable:
                log.warning(
                    "Stripe emulator clock at %s did not answer (%s); using its last offset",
                    self._url,
                    error,
                )
                self._unreachable = True
        else:
            self._offset = offset
            self._unreachable = False
        return datetime.fromtimestamp(self._wall() + self._offset, UTC)

"""The emulator's state in a JSON file, so that a restarted emulator carries on.

`make run` keeps its emulator's state in ``instance/stripe-emulator.json``: the
customers, subscriptions and prices the app's database names must still exist after
a restart, with the same webhook endpoint and signing secret. Everything in the
:class:`~.store.Store` is kept (objects, events, cards, billing cycles, the clock's
offset, the billing settings) and the idempotency cache, so a request retried after
a restart gets its first answer. Webhook deliveries still waiting for a retry are
not kept: the events stay in ``/v1/events`` for the app's reconciliation.

The file is replaced atomically (a temporary file, then :func:`os.replace`), so a
crash leaves the previous state or the new one, never half of one. Only its owner
may read it (it holds webhook signing secrets).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .calendar import Cycle
from .cards import PaymentMethod
from .errors import StripeError
from .idempotency import IdempotencyCache
from .settings import Settings
from .store import CheckoutExtras, CheckoutLine, Store

FORMAT = 1

OBJECT_COLLECTIONS = (
    "customers",
    "products",
    "prices",
    "checkout_sessions",
    "subscriptions",
    "invoices",
    "events",
    "webhook_endpoints",
    "portal_sessions",
    "test_clocks",
)
"""Stripe objects, stored in their JSON shape."""

PLAIN_FIELDS = ("webhook_secrets", "first_failure", "clock_offset", "portal_configuration")
"""Side tables and values that are JSON already."""

NOT_KEPT = frozenset({"lock", "listeners", "base_url"})
"""Store fields that belong to the running process (``base_url`` is set at start)."""


class StateFileError(Exception):
    """The state file cannot be read; the message names the file and what is wrong."""


class StateFile:
    """Where one emulator's state is kept between runs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._last_saved: str | None = None

    def load(self, store: Store, idempotency: IdempotencyCache) -> bool:
        """Fill ``store`` and ``idempotency`` from the file; False when there is no file yet.

        Raises :class:`StateFileError` when the file cannot be read or is not a state.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        except (OSError, UnicodeDecodeError) as error:
            raise StateFileError(f"{self.path} cannot be read: {error}") from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(f"not a state file of format {FORMAT}")
            with store.lock:
                _restore(store, data["store"])
                idempotency.restore(data["idempotency"])
        except (ValueError, KeyError, TypeError, AttributeError, StripeError) as error:
            raise StateFileError(
                f"{self.path} is not a readable Stripe emulator state ({error}); "
                "move it away to start with an empty emulator."
            ) from None
        self._last_saved = text
        return True

    def save(self, store: Store, idempotency: IdempotencyCache) -> None:
        """Write the state atomically, unless it is what the file already holds.

        Call with ``store.lock`` held, so that the snapshot is consistent and two
        savers never interleave.
        """
        text = json.dumps(
            {"format": FORMAT, "store": _dump(store), "idempotency": idempotency.to_json()},
            separators=(",", ":"),
        )
        if text == self._last_saved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._last_saved = text


def _dump(store: Store) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(store, name) for name in OBJECT_COLLECTIONS}
    data.update({name: getattr(store, name) for name in PLAIN_FIELDS})
    data["settings"] = store.settings.to_json()
    data["payment_methods"] = {key: asdict(method) for key, method in store.payment_methods.items()}
    data["checkout_extras"] = {key: asdict(extras) for key, extras in store.checkout_extras.items()}
    data["cycles"] = {key: asdict(cycle) for key, cycle in store.cycles.items()}
    return data


def _restore(store: Store, data: dict[str, Any]) -> None:
    for name in OBJECT_COLLECTIONS:
        setattr(store, name, dict(data[name]))
    store.webhook_secrets = {str(k): str(v) for k, v in data["webhook_secrets"].items()}
    store.first_failure = {str(k): int(v) for k, v in data["first_failure"].items()}
    store.clock_offset = float(data["clock_offset"])
    store.portal_configuration = str(data["portal_configuration"])
    store.settings = Settings.from_json(data["settings"])
    store.payment_methods = {
        key: PaymentMethod(**method) for key, method in data["payment_methods"].items()
    }
    store.checkout_extras = {
        key: CheckoutExtras(
            lines=[CheckoutLine(**line) for line in extras["lines"]],
            subscription_metadata=dict(extras["subscription_metadata"]),
            subscription_description=extras["subscription_description"],
            trial_period_days=extras["trial_period_days"],
        )
        for key, extras in data["checkout_extras"].items()
    }
    store.cycles = {key: Cycle(**cycle) for key, cycle in data["cycles"].items()}


def forgotten_fields() -> frozenset[str]:
    """Store fields neither kept nor deliberately left out (a test keeps this empty)."""
    kept = {*OBJECT_COLLECTIONS, *PLAIN_FIELDS, "settings", "payment_methods"}
    kept |= {"checkout_extras", "cycles"}
    return frozenset(f.name for f in fields(Store)) - kept - NOT_KEPT

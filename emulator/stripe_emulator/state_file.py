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
from collections.abc import Callable
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

NOT_KEPT = frozenset({"lock", "listeners", "base_url"})
"""Store fields that belong to the running process (``base_url`` is set at start)."""


def _objects(value: Any) -> Any:
    """Stripe objects and plain side tables: JSON already."""
    return value


def _table(kind: Callable[..., Any]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """A side table of dataclasses, kept as their fields."""
    return (
        lambda table: {key: asdict(row) for key, row in table.items()},
        lambda data: {str(key): kind(**row) for key, row in data.items()},
    )


def _checkout_extras(**data: Any) -> CheckoutExtras:
    return CheckoutExtras(**{**data, "lines": [CheckoutLine(**line) for line in data["lines"]]})


# Store field -> (to JSON, from JSON). Every field of the Store is here or in NOT_KEPT:
# StateFile refuses to start otherwise, so a new kind of state cannot be forgotten.
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    **{
        name: (_objects, dict)
        for name in (
            "customers",
            "products",
            "prices",
            "checkout_sessions",
            "subscriptions",
            "subscription_schedules",
            "coupons",
            "promotion_codes",
            "discounts",
            "invoices",
            "events",
            "webhook_endpoints",
            "portal_sessions",
            "portal_configurations",
            "test_clocks",
        )
    },
    "webhook_secrets": (_objects, lambda data: {str(k): str(v) for k, v in data.items()}),
    "first_failure": (_objects, lambda data: {str(k): int(v) for k, v in data.items()}),
    "pending_items": (_objects, dict),
    "trial_notices": (_objects, lambda data: {str(k): int(v) for k, v in data.items()}),
    "clock_offset": (_objects, float),
    "portal_configuration": (_objects, str),
    "settings": (lambda settings: settings.to_json(), Settings.from_json),
    "payment_methods": _table(PaymentMethod),
    "checkout_extras": _table(_checkout_extras),
    "cycles": _table(Cycle),
}


def _check_every_field_is_kept() -> None:
    forgotten = {f.name for f in fields(Store)} - set(_CODECS) - NOT_KEPT
    if forgotten:
        raise TypeError(f"Store fields neither kept in the state file nor not kept: {forgotten}")


class StateFileError(Exception):
    """The state file cannot be read; the message names the file and what is wrong."""


class StateFile:
    """Where one emulator's state is kept between runs."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        _check_every_field_is_kept()
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
    return {name: dump(getattr(store, name)) for name, (dump, _) in _CODECS.items()}


def _restore(store: Store, data: dict[str, Any]) -> None:
    for name, (_, load) in _CODECS.items():
        if name in data:  # a kind of state newer than the file keeps its default
            setattr(store, name, load(data[name]))
    _upgrade(store)


def _upgrade(store: Store) -> None:
    """Objects kept by an older emulator, in today's shapes (as an API upgrade would)."""
    for session in store.checkout_sessions.values():
        if session.get("ui_mode") == "hosted":
            session["ui_mode"] = "hosted_page"
    for invoice in store.invoices.values():
        invoice.pop("subscription", None)  # removed from the API (2025-03-31.basil)

"""A subscription's statuses, and the sets of them the billing rules are written with.

Every status is exactly one of: ``incomplete`` (not started: its first payment is
due), :data:`LIVE` or :data:`ENDED`.
"""

from __future__ import annotations

ALL = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)

ENDED = frozenset({"canceled", "incomplete_expired"})
"""Final: nothing changes these subscriptions' billing any more."""

LIVE = frozenset({"trialing", "active", "past_due", "unpaid", "paused"})
"""Started and not ended."""

OWING = frozenset({"past_due", "unpaid", "incomplete"})
"""Waiting for a payment: paying every open invoice makes the subscription ``active``."""

assert LIVE.isdisjoint(ENDED) and {*LIVE, *ENDED, "incomplete"} == set(ALL)

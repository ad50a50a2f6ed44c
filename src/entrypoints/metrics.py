"""Prometheus metrics (prometheus-client), correct under several gunicorn workers.

Two kinds:
- counted as things happen, in the process that saw them: request latency by route
  (`RequestMetrics`), webhook events by type and outcome (`CountedBillingEvents`).
  Under gunicorn, PROMETHEUS_MULTIPROC_DIR is set (by `entrypoints.gunicorn_config`,
  before any worker imports prometheus_client): each worker writes its values to files
  there, and a scrape, whichever worker answers it, adds up every worker's files.
  Without it (`make run`, tests) the values live in the process.
- read at scrape time from the database (`ScrapeGauges`): failed events, events still
  `received` and the age of the oldest; emails pending, given up, and the oldest's age.
  They are one reading of the shared database, taken by the worker that answers, never
  added up across workers.

The metric objects are made on first use, once per process, and registered nowhere
(`registry=None`): each scrape builds its own registry, so nothing here is global
state that a second app in the same process would register twice.
"""

import functools
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from adapters.sqlalchemy.inbox_backlog import InboxBacklog
from adapters.sqlalchemy.outbox_backlog import OutboxBacklog
from application.ports import Clock
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
    HandleBillingEventResult,
)
from domain.provider_events import BillingEventKind

log = logging.getLogger(__name__)
PREFIX = "premium_notes"


@dataclass(frozen=True)
class RequestMetrics:
    request_seconds: Histogram
    webhook_events: Counter

    def collectors(self) -> tuple[Collector, ...]:
        return (self.request_seconds, self.webhook_events)


@functools.cache
def request_metrics() -> RequestMetrics:
    """This process's counted metrics (made once; values in files under gunicorn)."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series: multiprocess mode has none either
    return RequestMetrics(
        request_seconds=Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer a request, by method, route (the URL rule) and status.",
            ["method", "route", "status"],
            registry=None,
        ),
        webhook_events=Counter(
            f"{PREFIX}_webhook_events",
            "Verified webhook events by type and outcome (processed, ignored, failed: "
            "recorded as failed and answered 2xx; duplicate; error: answered 5xx).",
            ["type", "outcome"],
            registry=None,
        ),
    )


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class CountedBillingEvents:
    """What /webhook calls: `HandleBillingEvent`, with each outcome counted.

    The type is the provider's (`invoice.paid`) for the kinds the service handles and
    `other` for the rest, so a stream of unknown types cannot add series without end.
    """

    def __init__(self, handler: HandleBillingEvent) -> None:
        self._handler = handler
        self._counter = request_metrics().webhook_events

    def execute(self, command: HandleBillingEventCommand) -> HandleBillingEventResult:
        event = command.event
        kind = "other" if event.kind is BillingEventKind.UNHANDLED else event.provider_type
        try:
            result = self._handler.execute(command)
        except Exception:
            self._counter.labels(kind, "error").inc()
            raise
        outcome = "duplicate" if result.duplicate else result.status.value
        self._counter.labels(kind, outcome).inc()
        return result


@dataclass(frozen=True)
class ScrapeGauge:
    """A gauge read when /metrics is scraped. `read` may raise: the scrape then says
    `premium_notes_database_up 0` and leaves the gauges out, instead of failing."""

    read: Callable[[], Iterable[Metric]]


def inbox_gauges(read_backlog: Callable[[], InboxBacklog], clock: Clock) -> ScrapeGauge:
    """Failed events, events waiting (`received`) and the age of the oldest waiting."""

    def read() -> Iterable[Metric]:
        backlog = read_backlog()
        age = 0.0
        if backlog.oldest_received_at is not None:
            age = max(0.0, (clock.now() - backlog.oldest_received_at).total_seconds())
        return (
            GaugeMetricFamily(
                f"{PREFIX}_inbox_failed_events",
                "Events recorded as failed, waiting for `events replay` or reconcile.",
                value=backlog.failed,
            ),
            GaugeMetricFamily(
                f"{PREFIX}_inbox_received_events",
                "Events stored as received and not applied yet (the queue's depth).",
                value=backlog.received,
            ),
            GaugeMetricFamily(
                f"{PREFIX}_inbox_oldest_received_age_seconds",
                "Age of the oldest event still received (0 when none waits).",
                value=age,
            ),
        )

    return ScrapeGauge(read)


def outbox_gauges(read_backlog: Callable[[], OutboxBacklog], clock: Clock) -> ScrapeGauge:
    """Emails waiting to be sent, emails given up on, and how long the oldest has waited."""

    def read() -> Iterable[Metric]:
        backlog = read_backlog()
        age = 0.0
        if backlog.oldest_pending_at is not None:
            age = max(0.0, (clock.now() - backlog.oldest_pending_at).total_seconds())
        return (
            GaugeMetricFamily(
                f"{PREFIX}_emails_pending",
                "Emails in the outbox not sent yet (including those waiting to be retried).",
                value=backlog.pending,
            ),
            GaugeMetricFamily(
                f"{PREFIX}_emails_failed",
                "Emails given up on (refused for good, or too many attempts).",
                value=backlog.failed,
            ),
            GaugeMetricFamily(
                f"{PREFIX}_emails_oldest_pending_age_seconds",
                "Age of the oldest email not sent yet (0 when none waits).",
                value=age,
            ),
        )

    return ScrapeGauge(read)


class ScrapeGauges(Collector):
    """The gauges read from the database at scrape time, and whether it answered."""

    def __init__(self, gauges: Sequence[ScrapeGauge]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        metrics: list[Metric] = []
        up = 1
        for gauge in self._gauges:
            try:
                metrics.extend(gauge.read())
            except Exception as error:  # a scrape must answer while the database is down
                log.warning("a metric could not be read: %s", type(error).__name__)
                up = 0
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up", "1 when the scrape could read the database.", value=up
        )
        yield from metrics


def render_metrics(gauges: Sequence[ScrapeGauge]) -> bytes:
    """The exposition text: every worker's counted metrics, and the scrape-time gauges."""
    registry = CollectorRegistry()
    if multiprocess_mode():
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in request_metrics().collectors():
            registry.register(collector)
    registry.register(ScrapeGauges(gauges))
    return generate_latest(registry)

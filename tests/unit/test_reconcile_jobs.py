"""The scheduled reconcile: the cheap pass (the provider's undelivered events) first, then
the full pass, always or (RECONCILE_FULL=on_failure) only when the cheap one fell short;
and the cheap pass on its own, more often."""

from datetime import timedelta
from typing import Any

import pytest

from application.use_cases.apply_undelivered_events import (
    ApplyUndeliveredEventsCommand,
    UndeliveredReport,
)
from application.use_cases.reconcile_subscriptions import ReconcileReport
from domain.errors import PaymentProviderError
from entrypoints.container import Container
from entrypoints.jobs import reconcile, scheduled_jobs
from entrypoints.settings import ConfigurationError, Settings


class FirstPass:
    def __init__(self, report: UndeliveredReport | Exception) -> None:
        self.report = report
        self.commands: list[ApplyUndeliveredEventsCommand] = []

    def execute(self, command: ApplyUndeliveredEventsCommand) -> UndeliveredReport:
        self.commands.append(command)
        if isinstance(self.report, Exception):
            raise self.report
        return self.report


class FullPass:
    def __init__(self) -> None:
        self.runs = 0

    def execute(self, command: Any) -> ReconcileReport:
        self.runs += 1
        return ReconcileReport()


def run_reconcile(
    env: dict[str, str], first: UndeliveredReport | Exception
) -> tuple[FirstPass, FullPass]:
    container = Container()
    container.settings.override(Settings.from_env({"SECRET_KEY": "k" * 40, **env}))
    cheap, full = FirstPass(first), FullPass()
    container.apply_undelivered_events.override(cheap)
    container.reconcile_subscriptions.override(full)
    reconcile(container)
    return cheap, full


def test_by_default_the_cheap_pass_runs_first_and_the_full_pass_after_it() -> None:
    cheap, full = run_reconcile({}, UndeliveredReport(listed=2, applied=["evt_1", "evt_2"]))

    assert [c.lookback for c in cheap.commands] == [timedelta(hours=72)]
    assert full.runs == 1


def test_on_failure_skips_the_full_pass_when_every_undelivered_event_was_applied() -> None:
    _, full = run_reconcile({"RECONCILE_FULL": "on_failure"}, UndeliveredReport(listed=1))

    assert full.runs == 0


@pytest.mark.parametrize(
    "first",
    [PaymentProviderError("Stripe is down"), UndeliveredReport(failed={"evt_1": "boom"})],
    ids=["provider unreachable", "an event failed"],
)
def test_on_failure_runs_the_full_pass_when_the_cheap_one_fell_short(
    first: UndeliveredReport | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    _, full = run_reconcile({"RECONCILE_FULL": "on_failure"}, first)

    assert full.runs == 1


def test_the_cheap_pass_runs_on_its_own_every_undelivered_events_interval() -> None:
    settings = Settings.from_env(
        {
            "SECRET_KEY": "k" * 40,
            "UNDELIVERED_EVENTS_INTERVAL_MINUTES": "2",
            "UNDELIVERED_EVENTS_LOOKBACK_HOURS": "24",
        }
    )
    [job] = [j for j in scheduled_jobs(settings) if j.name.endswith("undelivered_events")]
    container = Container()
    container.settings.override(settings)
    cheap = FirstPass(UndeliveredReport())
    container.apply_undelivered_events.override(cheap)

    job.run(container)

    assert job.every == timedelta(minutes=2)
    assert [c.lookback for c in cheap.commands] == [timedelta(hours=24)]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECONCILE_FULL", "sometimes"),
        ("UNDELIVERED_EVENTS_LOOKBACK_HOURS", "721"),  # Stripe keeps 30 days
        ("UNDELIVERED_EVENTS_INTERVAL_MINUTES", "0"),
    ],
)
def test_a_malformed_reconcile_setting_is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({"SECRET_KEY": "k" * 40, name: value})

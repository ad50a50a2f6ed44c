"""The queue mode's apply task on a real database.

Tasks applying events about one user at the same time take turns (`UnitOfWork.writing()`
locks the user: PostgreSQL SELECT ... FOR UPDATE, SQLite an immediate transaction): none
loses a race, none fails, the newest event wins. A task whose event keeps failing is
retried, then the event is left failed for `events replay`."""

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from flask import Flask

import application.retry
from application.ports import EventQueue, EventStatus
from application.use_cases.register_user import RegisterUserCommand
from domain.email import EmailAddress
from domain.subscription import SubscriptionStatus
from entrypoints.celery_app import create_celery
from entrypoints.container import Container
from tests.e2e.conftest import offline_stripe_app
from tests.e2e.support import user_id_of
from tests.e2e.test_webhook import register_and_log_in
from tests.support import stripe_events as se

SECRET = "whsec_test_per_user"
TASKS = 12


class NoQueue(EventQueue):
    def enqueue(self, event_id: str) -> None:
        pass


class CountingRandom:
    """Stands for `random` in `application.retry`: a call is a transaction that lost a
    race and waits to run again."""

    def __init__(self) -> None:
        self.conflicts = 0

    def uniform(self, low: float, high: float) -> float:
        self.conflicts += 1
        return 0.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    overrides: dict[str, Any] = {"broker_url": "redis://127.0.0.1:9/0"}
    if request.param == "postgres":
        request.getfixturevalue("postgres_session_factory")  # empty tables
        overrides["database_url"] = request.getfixturevalue("postgres_schema_url")
    return offline_stripe_app(tmp_path, (SECRET,), webhook_processing="queue", **overrides)


def test_concurrent_tasks_for_one_user_take_turns_and_the_newest_event_wins(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    container: Container = app.extensions["container"]
    container.event_queue.override(NoQueue())
    client = app.test_client()
    register_and_log_in(client, "one@example.com")
    user_id = user_id_of(app, "one@example.com")
    statuses = ["active", "past_due", "unpaid", "active", "past_due", "canceled"]
    events = []
    for number in range(TASKS):
        status = statuses[number % len(statuses)] if number < TASKS - 1 else "past_due"
        obj = se.subscription(
            status=status, user_id=user_id, period_end=1_782_592_000 + number * 60
        )
        kind = "customer.subscription.created" if number == 0 else "customer.subscription.updated"
        events.append(se.event(kind, obj, created=1000 + number))
    receive = container.receive_billing_event()
    gateway = container.gateway()
    for data in events:
        payload = json.dumps(data)
        receive.execute(gateway.translate_event(payload))
    counting = CountingRandom()
    monkeypatch.setattr(application.retry, "random", counting)
    start = threading.Barrier(TASKS)
    errors: list[BaseException] = []

    def task(event_id: str) -> None:
        start.wait()
        try:
            container.apply_received_event().execute(event_id)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=task, args=(data["id"],)) for data in reversed(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with container.uow() as uow:
        records = {r.event_id: r for r in uow.events.list()}
        user = uow.users.get(user_id)
    assert len(records) == TASKS
    assert all(record.status.done for record in records.values()), [
        (r.status, r.error) for r in records.values()
    ]
    assert not [r for r in records.values() if r.status is EventStatus.FAILED]
    assert counting.conflicts == 0  # every writer waited for the lock; none lost a race
    assert user is not None
    assert user.subscriptions["sub_test_1"].status is SubscriptionStatus.PAST_DUE  # newest


def test_an_event_the_provider_cannot_serve_is_retried_then_left_failed(tmp_path: Path) -> None:
    """The real use cases on SQLite, Stripe unreachable: each try fails, the event ends
    `failed` with the reason, ready for `events replay`."""
    app = offline_stripe_app(
        tmp_path,
        ("whsec_x",),
        broker_url="redis://127.0.0.1:9/0",
        webhook_processing="queue",
        webhook_task_retries=2,
        webhook_retry_base=timedelta(0),
    )
    container = app.extensions["container"]
    container.event_queue.override(NoQueue())
    container.register_user().execute(RegisterUserCommand("x@example.com", "a passphrase!"))
    with container.uow() as uow:
        stored = uow.users.get_by_email(EmailAddress("x@example.com"))
        assert stored is not None
        stored.link_customer("cus_x")
        uow.users.save(stored)
        uow.commit()
    data = se.event("invoice.paid", se.invoice(customer="cus_x", subscription="sub_x"))
    event = container.gateway().translate_event(json.dumps(data))
    container.receive_billing_event().execute(event)
    settings = container.settings()
    celery = create_celery(settings, container)
    celery.conf.task_always_eager = True
    tries: list[str] = []
    use_case = container.apply_received_event()

    def counted() -> Any:  # the task asks the container once per try
        tries.append(data["id"])
        return use_case

    container.apply_received_event.override(providers.Callable(counted))
    celery.tasks["premium_notes.apply_billing_event"].apply_async(args=[data["id"]])

    with container.uow() as uow:
        record = uow.events.get(data["id"])
    assert len(tries) == 3, record
    assert record is not None and record.status is EventStatus.FAILED
    assert record.error and "PaymentProviderError" in record.error

"""Billing notices: written in the transaction of their event, exactly once per cause,
duplicates and replays included."""

from dataclasses import replace

import pytest

from adapters.memory import InMemoryUnitOfWork
from application.ports import EventStatus, OutboxEntry
from application.use_cases.handle_billing_event import (
    HandleBillingEvent,
    HandleBillingEventCommand,
)
from application.use_cases.replay_events import ReplayEvents, ReplayEventsCommand
from application.use_cases.start_subscription import StartSubscriptionCommand
from domain.access import AccessPolicy
from domain.errors import PaymentProviderError
from domain.provider_events import BillingEvent, BillingEventKind
from domain.user import User
from tests.support.mail import billing_notices
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World
from tests.unit.application.test_start_subscription_plans import CATALOG


def notices(world: World, prefix: str, email: str = "ann@example.com") -> list[OutboxEntry]:
    return [e for e in world.outbox_to(email) if e.id.startswith(prefix)]


def subscribed(world: World) -> tuple[User, str]:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)
    return ann, subscription_id


def failed_payment(world: World, subscription_id: str) -> BillingEvent:
    events = world.gateway.fail_renewal(subscription_id)
    [failed] = [e for e in events if e.kind is BillingEventKind.PAYMENT_FAILED]
    return failed


def test_a_failed_payment_sends_one_email_with_the_end_of_the_grace_and_a_link(
    world: World,
) -> None:
    _, subscription_id = subscribed(world)
    failed = failed_payment(world, subscription_id)

    world.deliver([failed])

    [notice] = notices(world, "payment-failed:")
    assert notice.id == f"payment-failed:{failed.invoice_id}"
    grace_ends = world.clock.now() + world.policy.past_due_grace
    text = notice.message.text
    assert f"{grace_ends.day} {grace_ends:%B %Y}" in text  # "4 February 2026"
    assert "https://notes.test/billing-portal" in text
    assert notice.message.html is not None and "billing-portal" in notice.message.html


def test_a_duplicated_or_replayed_failed_payment_sends_nothing_more(world: World) -> None:
    _, subscription_id = subscribed(world)
    failed = failed_payment(world, subscription_id)
    world.deliver([failed, failed])
    again = world.deliver([failed])  # delivered again, later
    assert again[0].duplicate
    # Another event about the same invoice (the provider's retry failing): no new email.
    world.deliver([replace(failed, id="evt_retry_of_same_invoice")])
    assert len(notices(world, "payment-failed:")) == 1


def test_a_failed_event_sends_nothing_and_its_replay_sends_once(world: World) -> None:
    _, subscription_id = subscribed(world)
    failed = failed_payment(world, subscription_id)
    world.gateway.fail_next = PaymentProviderError()  # the fetch the invoice event needs
    with pytest.raises(PaymentProviderError):
        world.deliver([failed])
    assert world.inbox(failed.id).status is EventStatus.FAILED
    assert notices(world, "payment-failed:") == []

    replay = ReplayEvents(world.uow, world.gateway, world.handler())
    report = replay.execute(ReplayEventsCommand(()))
    assert report.replayed == [failed.id]
    replay.execute(ReplayEventsCommand((failed.id,)))
    assert len(notices(world, "payment-failed:")) == 1


class DyingUnitOfWork(InMemoryUnitOfWork):
    """Dies where the commit would be: nothing of the transaction is stored."""

    def commit(self) -> None:
        raise RuntimeError("killed before the commit")


def test_nothing_is_written_when_the_events_transaction_fails(world: World) -> None:
    _, subscription_id = subscribed(world)
    failed = failed_payment(world, subscription_id)
    handler = HandleBillingEvent(
        DyingUnitOfWork(world.store),
        world.gateway,
        world.clock,
        world.policy,
        billing_notices(world.policy),
    )
    with pytest.raises(RuntimeError):
        handler.execute(HandleBillingEventCommand(failed))
    assert notices(world, "payment-failed:") == []


def test_a_scheduled_cancellation_and_the_end_send_one_email_each(world: World) -> None:
    _, subscription_id = subscribed(world)
    canceling = world.gateway.schedule_cancel(subscription_id)
    world.deliver(canceling + canceling)
    [canceled] = notices(world, "subscription-canceled:")
    assert "will not renew" in canceled.message.text

    ended = world.gateway.renew(subscription_id)  # the period ends: canceled
    world.deliver(ended + ended)
    [over] = notices(world, "subscription-ended:")
    assert over.id == f"subscription-ended:{subscription_id}"
    assert "https://notes.test/pricing" in over.message.text
    assert len(notices(world, "subscription-canceled:")) == 1


def test_resuming_sends_nothing_and_an_out_of_date_event_sends_nothing(world: World) -> None:
    _, subscription_id = subscribed(world)
    canceling = world.gateway.schedule_cancel(subscription_id)
    resuming = world.gateway.resume(subscription_id)
    world.deliver(resuming)
    world.deliver(canceling)  # late: older than what is stored
    assert notices(world, "subscription-canceled:") == []


def test_a_trial_ending_sends_one_email_saying_what_happens_then(world: World) -> None:
    world.policy = AccessPolicy(world.gateway.stock(CATALOG))
    ann = world.register()
    redirect = world.starter().execute(
        StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL, lookup_key="pro_monthly")
    )
    events = world.gateway.pay_checkout(redirect.session_id)
    world.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None

    notice = world.gateway.trial_will_end(subscription_id)
    world.deliver(notice + notice)

    [email] = notices(world, "trial-ending:")
    assert "Pro" in email.message.subject
    assert "your card is charged $12.00 a month" in " ".join(email.message.text.split())


def test_the_trial_ending_email_of_a_canceled_trial_says_it_ends_and_charges_nothing(
    world: World,
) -> None:
    """Stripe sends trial_will_end for a trial set to cancel at its end too: promising a
    charge there is what makes people dispute charges."""
    world.policy = AccessPolicy(world.gateway.stock(CATALOG))
    ann = world.register()
    redirect = world.starter().execute(
        StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL, lookup_key="pro_monthly")
    )
    events = world.gateway.pay_checkout(redirect.session_id)
    world.deliver(events)
    subscription_id = events[0].subscription_id
    assert subscription_id is not None
    world.deliver(world.gateway.schedule_cancel(subscription_id))  # canceled in the trial

    world.deliver(world.gateway.trial_will_end(subscription_id))

    [email] = notices(world, "trial-ending:")
    text = " ".join(email.message.text.split())
    assert "your card is charged" not in text
    assert "your subscription ends with it: nothing is charged" in text
    assert "your card is charged" not in " ".join((email.message.html or "").split())


def test_events_of_someone_we_do_not_know_send_nothing(world: World) -> None:
    ann = world.register()
    customer = world.gateway.create_customer("someone-else", ann.email)
    events = world.gateway.subscribe_directly(customer, world.gateway.price_id)
    world.deliver(events)
    assert world.store.outbox.keys() == {e.id for e in world.outbox_to("ann@example.com")}
    assert notices(world, "payment-failed:") + notices(world, "subscription-") == []

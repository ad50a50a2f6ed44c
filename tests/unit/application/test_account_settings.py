"""Account settings against the fakes: change password, change email (proven at the new
address, the billing customer's email following), delete the account."""

from dataclasses import replace
from datetime import timedelta

import pytest

from application.ports import EventStatus
from application.use_cases.change_password import ChangePassword, ChangePasswordCommand
from application.use_cases.delete_account import DeleteAccount, DeleteAccountCommand
from application.use_cases.handle_billing_event import HandleBillingEventCommand
from application.use_cases.request_email_change import (
    RequestEmailChange,
    RequestEmailChangeCommand,
)
from application.use_cases.verify_email import Verified, VerifyEmail, VerifyEmailCommand
from domain.email import EmailAddress
from domain.errors import (
    CurrentPasswordWrong,
    EmailAlreadyRegistered,
    EmailUnchanged,
    InvalidLink,
    PaymentProviderError,
    WeakPassword,
)
from domain.subscription import SubscriptionStatus
from tests.support.mail import link_to, token_of
from tests.unit.application.conftest import PASSWORD, World

NEW_PASSWORD = "a brand new passphrase"


def change_password(world: World, user_id: str, current: str = PASSWORD) -> int:
    result = ChangePassword(world.uow, world.hasher, world.clock, world.mailer).execute(
        ChangePasswordCommand(user_id, current, NEW_PASSWORD)
    )
    return result.session_generation


def ask_email_change(world: World, user_id: str, new: str, password: str = PASSWORD) -> str:
    return RequestEmailChange(world.uow, world.hasher, world.clock, world.mailer).execute(
        RequestEmailChangeCommand(user_id, password, new)
    )


def open_link(world: World, email: str) -> Verified:
    """Open the link of the newest change of email to `email`."""
    changes = [e for e in world.store.outbox.values() if e.id.startswith("email-change:")]
    token = token_of(link_to(changes, email, "/verify-email/"))
    return (
        VerifyEmail(world.uow, world.gateway, world.clock, world.mailer)
        .execute(VerifyEmailCommand(token))
        .what
    )


def delete(world: World, user_id: str, password: str = PASSWORD) -> None:
    DeleteAccount(world.uow, world.hasher, world.gateway, world.clock).execute(
        DeleteAccountCommand(user_id, password)
    )


# -- change password -----------------------------------------------------------------


def test_changing_the_password_needs_the_current_one(world: World) -> None:
    ann = world.register()
    before = world.stored(ann.id)
    with pytest.raises(CurrentPasswordWrong):
        change_password(world, ann.id, current="not my password")
    assert world.stored(ann.id) == before


def test_a_new_password_ends_the_other_sessions_and_the_address_is_told(world: World) -> None:
    ann = world.register()
    generation = change_password(world, ann.id)
    stored = world.stored(ann.id)
    assert generation == stored.session_generation == ann.session_generation + 1
    assert world.hasher.verify(stored.password_hash, NEW_PASSWORD)
    told = [e for e in world.outbox_to("ann@example.com") if e.id.startswith("password-changed")]
    assert len(told) == 1


def test_a_weak_new_password_is_refused(world: World) -> None:
    ann = world.register()
    with pytest.raises(WeakPassword):
        ChangePassword(world.uow, world.hasher, world.clock, world.mailer).execute(
            ChangePasswordCommand(ann.id, PASSWORD, "short")
        )


# -- change email --------------------------------------------------------------------


def test_a_new_email_takes_effect_only_when_its_link_is_opened(world: World) -> None:
    ann = world.register()
    assert ask_email_change(world, ann.id, " New@Example.com ") == "new@example.com"
    stored = world.stored(ann.id)
    assert stored.email.value == "ann@example.com"  # not yet
    assert stored.pending_email == EmailAddress("new@example.com")

    assert open_link(world, "new@example.com") is Verified.NEW_ADDRESS

    stored = world.stored(ann.id)
    assert stored.email.value == "new@example.com"
    assert stored.email_verified
    assert stored.pending_email is None
    told = [e for e in world.outbox_to("ann@example.com") if e.id.startswith("email-changed")]
    assert len(told) == 1 and "new@example.com" in told[0].message.text


def test_the_billing_customers_email_follows(world: World) -> None:
    ann = world.register()
    world.deliver(world.subscribe(ann)[1])
    customer = world.stored(ann.id).customer_id
    assert customer is not None

    ask_email_change(world, ann.id, "new@example.com")
    assert world.gateway.customers[customer].email == "ann@example.com"
    open_link(world, "new@example.com")
    assert world.gateway.customers[customer].email == "new@example.com"


def test_when_the_provider_cannot_be_reached_nothing_changes_and_the_link_still_works(
    world: World,
) -> None:
    ann = world.register()
    world.deliver(world.subscribe(ann)[1])
    ask_email_change(world, ann.id, "new@example.com")
    world.gateway.fail_next = PaymentProviderError()
    with pytest.raises(PaymentProviderError):
        open_link(world, "new@example.com")
    assert world.stored(ann.id).email.value == "ann@example.com"
    assert open_link(world, "new@example.com") is Verified.NEW_ADDRESS


def test_a_customer_the_provider_no_longer_knows_is_unlinked_and_the_change_goes_through(
    world: World,
) -> None:
    """Deleted in the dashboard, or another account's keys: nothing there to keep in step,
    so the link does not fail for ever."""
    ann = world.register()
    world.deliver(world.subscribe(ann)[1])
    customer = world.stored(ann.id).customer_id
    assert customer is not None
    del world.gateway.customers[customer]
    ask_email_change(world, ann.id, "new@example.com")

    assert open_link(world, "new@example.com") is Verified.NEW_ADDRESS
    stored = world.stored(ann.id)
    assert stored.email.value == "new@example.com"
    assert stored.customer_id is None


def test_an_address_that_has_an_account_is_told_and_the_asker_learns_nothing(
    world: World,
) -> None:
    ann = world.register()
    world.register("bob@example.com")
    assert ask_email_change(world, ann.id, "bob@example.com") == "bob@example.com"
    # Waits for a link like any change (the settings page shows it), but none is sent.
    assert world.stored(ann.id).pending_email == EmailAddress("bob@example.com")
    assert not [e for e in world.store.outbox.values() if e.id.startswith("email-change:")]
    [told] = [e for e in world.outbox_to("bob@example.com") if "taken" in e.id]
    assert "nothing was changed" in told.message.text


def test_each_taken_address_asked_for_within_one_hour_is_told(world: World) -> None:
    world.register("bob@example.com")
    world.register("cat@example.com")
    ann = world.register("ann@example.com")

    ask_email_change(world, ann.id, "bob@example.com")
    ask_email_change(world, ann.id, "cat@example.com")

    assert [e for e in world.outbox_to("bob@example.com") if "taken" in e.id]
    assert [e for e in world.outbox_to("cat@example.com") if "taken" in e.id], (
        "cat's owner was never told: the notice's key was per asker and hour only"
    )


def test_a_taken_address_is_told_at_most_once_an_hour_whoever_asks(world: World) -> None:
    world.register("bob@example.com")
    ann = world.register("ann@example.com")
    dan = world.register("dan@example.com")

    ask_email_change(world, ann.id, "bob@example.com")
    ask_email_change(world, dan.id, "bob@example.com")
    ask_email_change(world, ann.id, "bob@example.com")
    assert len([e for e in world.outbox_to("bob@example.com") if "taken" in e.id]) == 1

    world.clock.advance(timedelta(hours=1))
    ask_email_change(world, dan.id, "bob@example.com")
    assert len([e for e in world.outbox_to("bob@example.com") if "taken" in e.id]) == 2


def test_an_address_taken_between_the_request_and_the_link_is_not_taken_over(
    world: World,
) -> None:
    ann = world.register()
    ask_email_change(world, ann.id, "new@example.com")
    world.register("new@example.com", verified=False)
    with pytest.raises(EmailAlreadyRegistered):
        open_link(world, "new@example.com")
    assert world.stored(ann.id).email.value == "ann@example.com"
    assert world.stored(ann.id).pending_email is None


def test_a_change_needs_the_password_and_another_address(world: World) -> None:
    ann = world.register()
    with pytest.raises(CurrentPasswordWrong):
        ask_email_change(world, ann.id, "new@example.com", password="wrong password")
    with pytest.raises(EmailUnchanged):
        ask_email_change(world, ann.id, "ANN@example.com")
    assert world.stored(ann.id).pending_email is None


def test_the_change_link_works_once(world: World) -> None:
    ann = world.register()
    ask_email_change(world, ann.id, "new@example.com")
    token = token_of(link_to(world.store.outbox.values(), "new@example.com", "/verify-email/"))
    verify = VerifyEmail(world.uow, world.gateway, world.clock, world.mailer)
    verify.execute(VerifyEmailCommand(token))
    with pytest.raises(InvalidLink):
        verify.execute(VerifyEmailCommand(token))


# -- delete the account --------------------------------------------------------------


def test_deleting_needs_the_password(world: World) -> None:
    ann = world.register()
    with pytest.raises(CurrentPasswordWrong):
        delete(world, ann.id, "not my password")
    assert ann.id in world.store.users


def test_deleting_cancels_the_live_subscription_now_and_removes_the_user(world: World) -> None:
    ann = world.register()
    subscription_id, events = world.subscribe(ann)
    world.deliver(events)

    delete(world, ann.id)

    assert world.gateway.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED
    assert ann.id not in world.store.users
    assert world.outbox_to("ann@example.com") == []  # their mail went with them
    # The provider's event about the cancellation finds nobody, and sends nothing.
    ended = world.gateway.events[-1]
    result = world.handler().execute(HandleBillingEventCommand(ended))
    assert result.status is EventStatus.IGNORED
    assert world.outbox_to("ann@example.com") == []


def test_a_subscription_the_records_do_not_know_yet_is_canceled_too(world: World) -> None:
    ann = world.register()
    subscription_id, _ = world.subscribe(ann)  # paid; no webhook arrived yet
    delete(world, ann.id)
    assert world.gateway.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED


def test_a_checkout_left_open_cannot_be_paid_after_deleting(world: World) -> None:
    ann = world.register()
    session_id = world.start_checkout(world.stored(ann.id))
    delete(world, ann.id)
    with pytest.raises(PaymentProviderError):
        world.gateway.pay_checkout(session_id)
    assert world.gateway.subscriptions == {}


def test_an_incomplete_subscription_is_canceled_too(world: World) -> None:
    """Its first payment may still go through (a 3-D Secure page left open)."""
    ann = world.register()
    subscription_id, _ = world.subscribe(ann)
    incomplete = world.gateway.subscriptions[subscription_id]
    world.gateway.subscriptions[subscription_id] = replace(
        incomplete, status=SubscriptionStatus.INCOMPLETE
    )
    delete(world, ann.id)
    assert world.gateway.subscriptions[subscription_id].status is SubscriptionStatus.CANCELED


def test_deleting_drops_its_mail_to_another_address_too(world: World) -> None:
    """The link to a new address, and a notice written to an address it had before."""
    ann = world.register()
    ask_email_change(world, ann.id, "ann.new@example.com")
    assert world.outbox_to("ann.new@example.com") != []
    bob = world.register("bob@example.com")
    delete(world, ann.id)
    assert [e.owner for e in world.store.outbox.values()] == [bob.id]


def test_when_the_provider_cannot_cancel_nothing_is_deleted(world: World) -> None:
    ann = world.register()
    world.deliver(world.subscribe(ann)[1])
    world.gateway.fail_next = PaymentProviderError()
    with pytest.raises(PaymentProviderError):
        delete(world, ann.id)
    assert ann.id in world.store.users


def test_deleting_keeps_a_tombstone_of_the_id_and_the_time_only(world: World) -> None:
    ann = world.register()
    world.clock.advance(timedelta(days=3))
    delete(world, ann.id)
    assert world.store.deleted == {ann.id: world.clock.now()}


def test_the_address_can_register_again_after_deleting(world: World) -> None:
    ann = world.register()
    delete(world, ann.id)
    again = world.register()
    assert again.id != ann.id
    with world.uow.reading() as uow:  # the tombstone is the old id's, not the address's
        assert uow.users.deleted_at(again.id) is None
        assert uow.users.deleted_at(ann.id) is not None

"""Proving an address: the registration's link, "resend", and what an unverified account
may not do (pay)."""

from datetime import timedelta

import pytest

from application.use_cases.change_plan import ChangePlan, ChangePlanCommand
from application.use_cases.preview_plan_change import PreviewPlanChange, PreviewPlanChangeCommand
from application.use_cases.send_verification_email import (
    SendVerificationEmail,
    SendVerificationEmailCommand,
)
from application.use_cases.start_subscription import StartSubscriptionCommand
from application.use_cases.verify_email import Verified, VerifyEmail, VerifyEmailCommand
from domain.errors import EmailNotVerified, InvalidLink
from tests.support.mail import link_to, token_of
from tests.unit.application.conftest import CANCEL_URL, SUCCESS_URL, World


def open_link(world: World, token: str) -> Verified:
    result = VerifyEmail(world.uow, world.gateway, world.clock, world.mailer).execute(
        VerifyEmailCommand(token)
    )
    return result.what


def verification_link(world: World, email: str = "ann@example.com") -> str:
    return token_of(link_to(world.store.outbox.values(), email, "/verify-email/"))


def resend(world: World, user_id: str) -> bool:
    return SendVerificationEmail(world.uow, world.clock, world.mailer).execute(
        SendVerificationEmailCommand(user_id)
    )


def test_the_registration_link_verifies_the_address_once(world: World) -> None:
    ann = world.register(verified=False)
    token = verification_link(world)
    assert open_link(world, token) is Verified.ADDRESS
    assert world.stored(ann.id).email_verified_at == world.clock.now()
    with pytest.raises(InvalidLink):
        open_link(world, token)


def test_the_link_expires_after_two_days(world: World) -> None:
    ann = world.register(verified=False)
    token = verification_link(world)
    world.clock.advance(timedelta(days=2))
    with pytest.raises(InvalidLink):
        open_link(world, token)
    assert not world.stored(ann.id).email_verified


def test_resend_replaces_the_link(world: World) -> None:
    ann = world.register(verified=False)
    first = verification_link(world)
    world.clock.advance(timedelta(seconds=1))
    assert resend(world, ann.id) is True
    second = verification_link(world)
    assert second != first
    with pytest.raises(InvalidLink):
        open_link(world, first)
    open_link(world, second)
    assert resend(world, ann.id) is False  # verified: nothing more is sent
    assert len(world.outbox_to("ann@example.com")) == 2


def test_an_unverified_account_cannot_start_a_subscription(world: World) -> None:
    ann = world.register(verified=False)
    with pytest.raises(EmailNotVerified):
        world.starter().execute(StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL))
    assert world.gateway.customers == {}  # nothing made at the provider
    assert world.gateway.checkouts == {}

    world.verify("ann@example.com")
    world.starter().execute(StartSubscriptionCommand(ann.id, SUCCESS_URL, CANCEL_URL))
    assert len(world.gateway.checkouts) == 1


def test_an_unverified_account_cannot_change_plan(world: World) -> None:
    ann = world.register(verified=False)
    lookup_key = world.policy.catalog.plans[0].prices[0].lookup_key
    with pytest.raises(EmailNotVerified):
        PreviewPlanChange(world.uow, world.gateway, world.clock, world.policy).execute(
            PreviewPlanChangeCommand(ann.id, lookup_key)
        )
    with pytest.raises(EmailNotVerified):
        ChangePlan(world.uow, world.gateway, world.clock, world.policy).execute(
            ChangePlanCommand(ann.id, lookup_key)
        )


def test_an_unverified_account_reads_free_content_like_any_other(world: World) -> None:
    from application.use_cases.access_content import (
        AccessContent,
        AccessContentCommand,
        ContentTier,
    )

    ann = world.register(verified=False)
    AccessContent(world.clock, world.policy).execute(AccessContentCommand(ann, ContentTier.FREE))


@pytest.mark.parametrize("token", ["", "nope", "user_1." + "a" * 43])
def test_a_malformed_or_unknown_link_opens_nothing(world: World, token: str) -> None:
    world.register(verified=False)
    with pytest.raises(InvalidLink):
        open_link(world, token)

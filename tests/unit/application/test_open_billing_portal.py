import pytest

from application.use_cases.open_billing_portal import (
    OpenBillingPortal,
    OpenBillingPortalCommand,
)
from domain.errors import NoBillingAccount, PaymentProviderError, UserNotFound
from tests.unit.application.conftest import World
from tests.unit.application.test_start_subscription_plans import CATALOG

RETURN_URL = "https://app.test/account"


def open_portal(world: World, user_id: str, configuration: str | None = None) -> str:
    return OpenBillingPortal(world.uow, world.gateway, configuration).execute(
        OpenBillingPortalCommand(user_id, RETURN_URL)
    )


def test_opens_the_portal_of_the_users_own_customer(world: World) -> None:
    ann = world.register()
    world.start_checkout(ann)
    customer_id = world.stored(ann.id).customer_id
    assert customer_id is not None
    url = open_portal(world, ann.id)
    assert url == f"https://billing.fake/{customer_id}"
    assert world.gateway.portal_sessions == [(customer_id, RETURN_URL, None)]


def test_opens_the_portal_with_the_configuration_made_for_the_catalog(world: World) -> None:
    """Plan switches in the portal are the catalog's: its sessions use the configuration
    `stripe-provision` made (found at start-up), not the provider's default."""
    world.gateway.stock(CATALOG)
    configuration = world.gateway.find_portal_configuration()
    assert configuration is not None
    ann = world.register()
    world.start_checkout(ann)
    customer_id = world.stored(ann.id).customer_id
    open_portal(world, ann.id, configuration.id)
    assert world.gateway.portal_sessions == [(customer_id, RETURN_URL, configuration.id)]


def test_refuses_a_user_without_a_billing_customer(world: World) -> None:
    ann = world.register()
    with pytest.raises(NoBillingAccount):
        open_portal(world, ann.id)
    assert world.gateway.portal_sessions == []


def test_an_unknown_user_is_not_found(world: World) -> None:
    with pytest.raises(UserNotFound):
        open_portal(world, "no-such-user")


def test_a_provider_error_propagates(world: World) -> None:
    ann = world.register()
    world.start_checkout(ann)
    world.gateway.fail_next = PaymentProviderError()
    with pytest.raises(PaymentProviderError):
        open_portal(world, ann.id)

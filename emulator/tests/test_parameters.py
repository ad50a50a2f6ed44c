"""Parameters Stripe accepts are stored and echoed when the emulator models them, and
refused with a clear "not emulated" error when it does not: never a 200 that drops them
(issue 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from emulator_support import DAY, client_for, new_price, new_session, pay, subscribe
from stripe_emulator import Emulator

ADDRESS = {
    "line1": "1 Main Street",
    "line2": None,
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "country": "US",
}


def refused(call: Callable[[], Any], param: str) -> str:
    """The message of the not-emulated error ``call`` gets for ``param``."""
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    assert caught.value.http_status == 400
    assert (caught.value.code, caught.value.param) == ("parameter_not_emulated", param)
    message = str(caught.value.user_message)
    assert "does not emulate" in message
    return message


def test_customer_address_locales_and_tax_exempt_are_stored_and_echoed(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(
        params={
            "email": "addressed@example.com",
            "address": {k: v for k, v in ADDRESS.items() if v is not None},
            "preferred_locales": ["fr-FR", "en"],
            "tax_exempt": "reverse",
            "shipping": {"name": "Ada", "address": {"line1": "2 Side Road", "country": "FR"}},
            "invoice_settings": {
                "footer": "Thanks!",
                "custom_fields": [{"name": "VAT", "value": "X1"}],
            },
        }
    )
    assert customer.address.to_dict() == ADDRESS
    assert customer.preferred_locales == ["fr-FR", "en"]
    assert customer.tax_exempt == "reverse"
    assert customer.shipping.name == "Ada"
    assert customer.shipping.address.line1 == "2 Side Road"
    assert customer.invoice_settings.footer == "Thanks!"
    again = client.v1.customers.retrieve(customer.id)
    assert again.to_dict() == customer.to_dict()

    updated = client.v1.customers.update(
        customer.id, params={"tax_exempt": "exempt", "address": "", "preferred_locales": ""}
    )
    assert (updated.tax_exempt, updated.address, updated.preferred_locales) == ("exempt", None, [])
    event = client.v1.events.list(params={"type": "customer.updated", "limit": 1}).data[0]
    assert event.data.previous_attributes.tax_exempt == "reverse"


def test_an_invoice_carries_the_customers_details_and_numbering(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(
        params={
            "email": "numbered@example.com",
            "address": {"line1": "1 Main Street", "country": "US"},
            "tax_exempt": "exempt",
            "invoice_prefix": "EMUTEST",
            "next_invoice_sequence": 7,
            "invoice_settings": {"footer": "Paid with the emulator"},
        }
    )
    subscription = client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": new_price(client)}]}
    )
    invoice = client.v1.invoices.retrieve(str(subscription.latest_invoice))
    assert invoice.number == "EMUTEST-0007"
    assert invoice.customer_address.line1 == "1 Main Street"
    assert invoice.customer_tax_exempt == "exempt"
    assert invoice.footer == "Paid with the emulator"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"tax_id_data": [{"type": "eu_vat", "value": "DE123456789"}]}, "tax_id_data"),
        ({"cash_balance": {"settings": {"reconciliation_mode": "manual"}}}, "cash_balance"),
        ({"balance": 500}, "balance"),
        ({"tax": {"ip_address": "127.0.0.1"}}, "tax"),
        (
            {"invoice_settings": {"rendering_options": {"template": "inrtem_1"}}},
            "invoice_settings[rendering_options][template]",
        ),
    ],
)
def test_customer_parameters_the_emulator_cannot_honour_are_refused(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    refused(lambda: client.v1.customers.create(params=params), param)


def test_a_refused_update_changes_nothing(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "kept@example.com"})
    refused(
        lambda: client.v1.customers.update(
            customer.id, params={"email": "changed@example.com", "balance": 100}
        ),
        "balance",
    )
    assert client.v1.customers.retrieve(customer.id).email == "kept@example.com"


def test_checkout_options_are_echoed_or_refused(client: stripe.StripeClient) -> None:
    price = new_price(client)
    session = new_session(
        client,
        price=price,
        email="options@example.com",
        allow_promotion_codes=True,
        automatic_tax={"enabled": False},
        ui_mode="hosted_page",
        payment_method_types=["card"],
        billing_address_collection="auto",
        phone_number_collection={"enabled": False},
    )
    assert session.allow_promotion_codes is True
    assert session.automatic_tax.enabled is False
    assert session.ui_mode == "hosted_page"
    assert session.payment_method_types == ["card"]
    assert session.billing_address_collection == "auto"

    def create(**extra: Any) -> Callable[[], Any]:
        return lambda: new_session(client, price=price, **extra)

    assert "automatic tax" in refused(
        create(automatic_tax={"enabled": True}), "automatic_tax[enabled]"
    )
    refused(create(ui_mode="embedded_page"), "ui_mode")
    refused(create(payment_method_types=["card", "link"]), "payment_method_types")
    half = client.v1.coupons.create(params={"percent_off": 50}).id
    assert create(discounts=[{"coupon": half}])().discounts[0].coupon == half
    refused(create(discounts=[{"coupon": half}, {"coupon": half}]), "discounts")
    refused(create(billing_address_collection="required"), "billing_address_collection")
    refused(
        create(subscription_data={"billing_cycle_anchor": 1_900_000_000}),
        "subscription_data[billing_cycle_anchor]",
    )
    refused(
        create(line_items=[{"price": price, "quantity": 1, "tax_rates": ["txr_1"]}]),
        "line_items[0][tax_rates]",
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        create(customer_creation="always")()
    assert caught.value.param == "customer_creation"  # payment mode only, as on Stripe


def test_checkout_trial_settings_reach_the_subscription(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "trialsettings@example.com"})
    session = new_session(
        client,
        customer=customer.id,
        subscription_data={
            "trial_period_days": 7,
            "trial_settings": {"end_behavior": {"missing_payment_method": "pause"}},
        },
    )
    assert pay(str(session.url)).status == 303
    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert paid.subscription.trial_settings.end_behavior.missing_payment_method == "pause"


def test_subscription_payment_settings_and_item_metadata_are_stored(
    client: stripe.StripeClient,
) -> None:
    customer = client.v1.customers.create(params={"email": "settings@example.com"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": new_price(client), "metadata": {"seat": "1"}}],
            "payment_settings": {
                "save_default_payment_method": "on_subscription",
                "payment_method_types": ["card"],
            },
            "off_session": True,
        }
    )
    assert subscription.payment_settings.save_default_payment_method == "on_subscription"
    assert subscription.payment_settings.payment_method_types == ["card"]
    assert subscription["items"].data[0].metadata.to_dict() == {"seat": "1"}
    updated = client.v1.subscriptions.update(
        subscription.id,
        params={
            "payment_settings": {"save_default_payment_method": "off"},
            "items": [{"id": subscription["items"].data[0].id, "metadata": {"seat": "2"}}],
        },
    )
    assert updated.payment_settings.save_default_payment_method == "off"
    assert updated.payment_settings.payment_method_types == ["card"]
    assert updated["items"].data[0].metadata.to_dict() == {"seat": "2"}

    def create(**extra: Any) -> Callable[[], Any]:
        return lambda: client.v1.subscriptions.create(
            params={"customer": customer.id, "items": [{"price": new_price(client)}], **extra}
        )

    refused(
        create(
            payment_settings={"payment_method_options": {"card": {"request_three_d_secure": "any"}}}
        ),
        "payment_settings[payment_method_options]",
    )
    refused(
        create(payment_settings={"payment_method_types": ["sepa_debit"]}),
        "payment_settings[payment_method_types]",
    )
    refused(create(collection_method="send_invoice", days_until_due=30), "collection_method")
    refused(
        lambda: client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"price": new_price(client), "tax_rates": ["txr_1"]}],
            }
        ),
        "items[0][tax_rates]",
    )


def test_cancelling_with_a_final_invoice_or_prorations_is_refused(
    client: stripe.StripeClient,
) -> None:
    _, subscription_id = subscribe(client)
    refused(
        lambda: client.v1.subscriptions.cancel(subscription_id, params={"invoice_now": True}),
        "invoice_now",
    )
    refused(
        lambda: client.v1.subscriptions.cancel(subscription_id, params={"prorate": True}), "prorate"
    )
    assert client.v1.subscriptions.retrieve(subscription_id).status == "active"
    canceled = client.v1.subscriptions.cancel(
        subscription_id, params={"invoice_now": False, "prorate": False}
    )
    assert canceled.status == "canceled"


def test_product_and_price_details_are_stored_or_refused(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(
        params={
            "name": "Detailed",
            "images": ["https://example.com/a.png"],
            "url": "https://example.com/detailed",
            "unit_label": "seat",
            "statement_descriptor": "DETAILED",
            "shippable": False,
            "marketing_features": [{"name": "Fast"}],
            "package_dimensions": {"height": 1, "length": 2, "weight": 3.5, "width": 4},
        }
    )
    assert product.images == ["https://example.com/a.png"]
    assert (product.url, product.unit_label, product.shippable) == (
        "https://example.com/detailed",
        "seat",
        False,
    )
    assert product.marketing_features[0].name == "Fast"
    assert product.package_dimensions.weight == 3.5
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 100,
            "product": product.id,
            "recurring": {"interval": "month", "usage_type": "licensed"},
            "tax_behavior": "exclusive",
            "billing_scheme": "per_unit",
        }
    )
    assert price.tax_behavior == "exclusive"

    def create(**extra: Any) -> Callable[[], Any]:
        return lambda: client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 1, "product": product.id, **extra}
        )

    refused(create(billing_scheme="tiered"), "billing_scheme")
    refused(
        create(recurring={"interval": "month", "usage_type": "metered"}), "recurring[usage_type]"
    )


def test_webhook_endpoint_and_portal_options_are_refused(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    refused(
        lambda: client.v1.webhook_endpoints.create(
            params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"], "connect": True}
        ),
        "connect",
    )
    refused(
        lambda: client.v1.webhook_endpoints.create(
            params={
                "url": "http://127.0.0.1:9/hook",
                "enabled_events": ["*"],
                "api_version": "2024-06-20",
            }
        ),
        "api_version",
    )
    customer = client.v1.customers.create(params={"email": "portal-options@example.com"})
    portal = client.v1.billing_portal.sessions.create(params={"customer": customer.id})
    same = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "configuration": portal.configuration}
    )
    assert same.configuration == portal.configuration
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "configuration": "bpc_other"}
        )
    assert (caught.value.code, caught.value.param) == ("resource_missing", "configuration")
    refused(
        lambda: client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "on_behalf_of": "acct_1"}
        ),
        "on_behalf_of",
    )


def test_subscription_lists_filter_by_period(
    own_client: stripe.StripeClient, own_emulator: Emulator
) -> None:
    _, subscription_id = subscribe(own_client)
    end = own_client.v1.subscriptions.retrieve(subscription_id)["items"].data[0].current_period_end
    found = own_client.v1.subscriptions.list(params={"current_period_end": {"gte": end}})
    assert [s.id for s in found.data] == [subscription_id]
    later = own_client.v1.subscriptions.list(params={"current_period_end": {"gt": end + DAY}})
    assert later.data == []
    refused(
        lambda: own_client.v1.subscriptions.list(params={"collection_method": "send_invoice"}),
        "collection_method",
    )


def test_another_api_version_or_a_connect_account_is_refused(emulator: Emulator) -> None:
    for options in ({"stripe_version": "2024-06-20"}, {"stripe_account": "acct_1"}):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client_for(emulator).v1.customers.list(options=options)  # type: ignore[arg-type]
        assert caught.value.code == "parameter_not_emulated"
        assert "does not emulate" in str(caught.value.user_message)
    listed = client_for(emulator).v1.customers.list(params={"limit": 1})
    assert listed.last_response.headers["Stripe-Version"] == "2026-10-28.endive"

"""Billing-portal configurations through the SDK: created, retrieved, listed, updated, used
by portal sessions; what the emulator cannot show is refused, never dropped."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from emulator_support import http_request, new_price, subscribe
from stripe_emulator import Emulator
from test_shapes import assert_shape


def _catalog(client: stripe.StripeClient) -> tuple[str, list[str]]:
    """A product with a monthly and a yearly price."""
    monthly = client.v1.prices.retrieve(new_price(client, amount=1200))
    yearly = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 12000,
            "recurring": {"interval": "year"},
            "product": str(monthly.product),
        }
    )
    return str(monthly.product), [str(monthly.id), str(yearly.id)]


def _switches(product: str, prices: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "features": {
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "products": [{"product": product, "prices": prices}],
                "proration_behavior": "always_invoice",
                "schedule_at_period_end": {
                    "conditions": [
                        {"type": "decreasing_item_amount"},
                        {"type": "shortening_interval"},
                    ]
                },
                **extra,
            },
            "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
            "invoice_history": {"enabled": True},
        },
        "business_profile": {"headline": "Premium Notes"},
        "metadata": {"premium_notes_catalog": "1"},
    }


def test_a_configuration_is_created_with_stripes_shape_and_read_back(
    client: stripe.StripeClient,
) -> None:
    product, prices = _catalog(client)
    made = client.v1.billing_portal.configurations.create(params=_switches(product, prices))
    assert_shape("billing_portal.configuration", made)
    assert made.id.startswith("bpc_")
    assert (made.is_default, made.active, made.livemode) == (False, True, False)
    update = made.features.subscription_update
    assert update.enabled is True
    assert update.default_allowed_updates == ["price"]
    assert [(p.product, p.prices) for p in update.products] == [(product, prices)]
    assert update.proration_behavior == "always_invoice"
    conditions = [c.type for c in update.schedule_at_period_end.conditions]
    assert conditions == ["decreasing_item_amount", "shortening_interval"]
    assert update.trial_update_behavior == "end_trial"  # Stripe's default
    assert made.features.payment_method_update.enabled is False  # not named: off
    assert made.business_profile.headline == "Premium Notes"
    assert made.metadata.to_dict() == {"premium_notes_catalog": "1"}
    again = client.v1.billing_portal.configurations.retrieve(made.id)
    assert again.to_dict() == made.to_dict()


def test_the_list_holds_the_default_and_filters_by_is_default(
    client: stripe.StripeClient,
) -> None:
    product, prices = _catalog(client)
    made = client.v1.billing_portal.configurations.create(params=_switches(product, prices))
    listed = client.v1.billing_portal.configurations.list(params={"limit": 100}).data
    assert made.id in [c.id for c in listed]
    [default] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data
    assert default.is_default is True
    assert default.features.subscription_update.enabled is False
    assert_shape("billing_portal.configuration", default.to_dict())
    mine = client.v1.billing_portal.configurations.list(params={"is_default": False}).data
    assert default.id not in [c.id for c in mine]


def test_an_update_changes_what_it_names_and_keeps_the_rest(client: stripe.StripeClient) -> None:
    product, prices = _catalog(client)
    made = client.v1.billing_portal.configurations.create(params=_switches(product, prices))
    changed = client.v1.billing_portal.configurations.update(
        made.id,
        params={
            "features": {
                "subscription_update": {
                    "products": [{"product": product, "prices": prices[:1]}],
                    "trial_update_behavior": "continue_trial",
                }
            },
            "metadata": {"note": "x"},
        },
    )
    update = changed.features.subscription_update
    assert [p.prices for p in update.products] == [prices[:1]]
    assert update.trial_update_behavior == "continue_trial"
    assert update.proration_behavior == "always_invoice"  # kept
    assert changed.metadata.to_dict() == {"premium_notes_catalog": "1", "note": "x"}
    assert changed.updated >= made.updated
    deactivated = client.v1.billing_portal.configurations.update(made.id, params={"active": False})
    assert deactivated.active is False
    [default] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.configurations.update(default.id, params={"active": False})


def test_a_session_uses_the_configuration_it_names_or_the_default(
    client: stripe.StripeClient,
) -> None:
    product, prices = _catalog(client)
    made = client.v1.billing_portal.configurations.create(
        params={**_switches(product, prices), "default_return_url": "http://127.0.0.1:9/back"}
    )
    customer_id, _ = subscribe(client)
    session = client.v1.billing_portal.sessions.create(
        params={"customer": customer_id, "configuration": made.id}
    )
    assert session.configuration == made.id
    assert session.return_url == "http://127.0.0.1:9/back"  # the configuration's default
    plain = client.v1.billing_portal.sessions.create(params={"customer": customer_id})
    [default] = client.v1.billing_portal.configurations.list(params={"is_default": True}).data
    assert plain.configuration == default.id
    client.v1.billing_portal.configurations.update(made.id, params={"active": False})
    with pytest.raises(stripe.InvalidRequestError) as inactive:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "configuration": made.id}
        )
    assert inactive.value.param == "configuration"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "configuration": "bpc_nothing"}
        )
    assert (missing.value.code, missing.value.param) == ("resource_missing", "configuration")


@pytest.mark.parametrize(
    ("features", "param", "code"),
    [
        ({"proration_behavior": "none"}, "features[subscription_update][enabled]",
         "parameter_missing"),
        ({"enabled": True}, "features[subscription_update][default_allowed_updates]",
         "parameter_missing"),
        ({"enabled": True, "default_allowed_updates": ["quantity"]},
         "features[subscription_update][default_allowed_updates][0]", "parameter_not_emulated"),
        ({"enabled": True, "default_allowed_updates": ["color"]},
         "features[subscription_update][default_allowed_updates][0]", "parameter_invalid"),
        ({"enabled": True, "proration_behavior": "sometimes"},
         "features[subscription_update][proration_behavior]", "parameter_invalid"),
        ({"enabled": False, "schedule_at_period_end": {"conditions": [{"type": "rainy_day"}]}},
         "features[subscription_update][schedule_at_period_end][conditions][0][type]",
         "parameter_invalid"),
        ({"enabled": True, "default_allowed_updates": ["price"],
          "products": [{"product": "prod_nothing", "prices": ["price_x"]}]},
         "features[subscription_update][products][0][product]", "resource_missing"),
    ],
)  # fmt: skip
def test_a_wrong_subscription_update_is_a_400_naming_it(
    client: stripe.StripeClient, features: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.configurations.create(
            params={"features": {"subscription_update": features}}  # type: ignore[typeddict-item]
        )
    assert refused.value.http_status == 400
    assert (refused.value.code, refused.value.param) == (code, param)


def test_a_price_of_another_product_is_refused(client: stripe.StripeClient) -> None:
    product, _ = _catalog(client)
    _, others = _catalog(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.configurations.create(params=_switches(product, others))
    assert refused.value.param == "features[subscription_update][products][0][prices][0]"


@pytest.mark.parametrize(
    ("features", "param"),
    [
        ({"customer_update": {"enabled": True}}, "features[customer_update][enabled]"),
        ({"subscription_pause": {"enabled": True}}, "features[subscription_pause][enabled]"),
        (
            {"subscription_cancel": {"enabled": True, "proration_behavior": "create_prorations"}},
            "features[subscription_cancel][proration_behavior]",
        ),
        (
            {"subscription_cancel": {"enabled": True, "cancellation_reason": {
                "enabled": True, "options": ["other"]}}},
            "features[subscription_cancel][cancellation_reason][enabled]",
        ),
    ],
)  # fmt: skip
def test_what_the_portal_page_cannot_show_is_refused_not_dropped(
    client: stripe.StripeClient, features: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.configurations.create(params={"features": features})  # type: ignore[typeddict-item]
    assert (refused.value.code, refused.value.param) == ("parameter_not_emulated", param)


def test_raw_bad_input_is_a_stripe_shaped_4xx(emulator: Emulator) -> None:
    headers = {"Authorization": "Bearer sk_test_raw"}
    for form in (
        [("features", "x")],
        [("features[subscription_update]", "yes")],
        [("features[subscription_update][enabled]", "maybe")],
        [("features[subscription_update][products][0]", "p")],
        [("features[invoice_history][enabled]", "true"), ("business_profile[headline]", "x" * 61)],
        [("features[invoice_history][enabled]", "true"), ("default_return_url", "ftp://x")],
        [("features[invoice_history][enabled]", "true"), ("unknown", "1")],
    ):
        result = http_request(
            "POST", f"{emulator.url}/v1/billing_portal/configurations", form=form, headers=headers
        )
        assert result.status == 400, (form, result.body)
        assert '"invalid_request_error"' in result.body
    missing = http_request(
        "GET", f"{emulator.url}/v1/billing_portal/configurations/bpc_nothing", headers=headers
    )
    assert missing.status == 404 and '"resource_missing"' in missing.body

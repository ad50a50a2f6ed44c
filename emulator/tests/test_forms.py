"""Decoding Stripe's bracket notation, and answers to arbitrary input (never a 500)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stripe_emulator.delivery import DeliveryController
from stripe_emulator.errors import StripeError
from stripe_emulator.forms import Params, decode_form
from stripe_emulator.server import create_app, mask_key
from stripe_emulator.services import Services
from stripe_emulator.store import Store


def test_brackets_build_nested_dicts_and_lists() -> None:
    decoded = decode_form(
        [
            ("line_items[0][price]", "price_1"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][price]", "price_2"),
            ("metadata[user_id]", "7"),
            ("expand[]", "subscription"),
            ("expand[]", "customer"),
            ("recurring[interval]", "month"),
        ]
    )
    assert decoded == {
        "line_items": [{"price": "price_1", "quantity": "1"}, {"price": "price_2"}],
        "metadata": {"user_id": "7"},
        "expand": ["subscription", "customer"],
        "recurring": {"interval": "month"},
    }


def test_indices_are_ordered_numerically_and_metadata_keys_stay_keys() -> None:
    decoded = decode_form([("items[10]", "b"), ("items[2]", "a"), ("metadata[0]", "zero")])
    assert decoded == {"items": ["a", "b"], "metadata": {"0": "zero"}}


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "2"), ("a", "1")],
        [("a]", "1")],
        [("[a]", "1")],
        [("a" + "[b]" * 20, "1")],
        [("items[99999]", "x")],
    ],
)
def test_malformed_keys_are_a_400_error(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(StripeError) as caught:
        decode_form(pairs)
    assert caught.value.status == 400


def test_params_read_types_and_name_nested_params_in_errors() -> None:
    params = Params(decode_form([("recurring[interval_count]", "x"), ("active", "false")]))
    assert params.boolean("active") is False
    recurring = params.nested("recurring")
    assert recurring is not None
    with pytest.raises(StripeError) as caught:
        recurring.integer("interval_count")
    assert caught.value.param == "recurring[interval_count]"
    with pytest.raises(StripeError) as caught:
        recurring.required_string("interval")
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "recurring[interval]")


def test_metadata_marks_empty_values_for_deletion() -> None:
    params = Params(decode_form([("metadata[keep]", "1"), ("metadata[drop]", "")]))
    assert params.metadata() == {"keep": "1", "drop": None}
    assert Params(decode_form([("metadata", "")])).metadata() == {}


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("sk_live_51Habcdefghijklmn1234", "sk_live_****1234"),
        ("pk_test_abcdefgh9876", "pk_test_****9876"),
        ("short", "****"),
        ("my_secret_value_here_42", "****e_42"),
    ],
)
def test_keys_are_masked_in_errors(key: str, shown: str) -> None:
    assert mask_key(key) == shown


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_KEYS = st.one_of(
    _TEXT,
    st.sampled_from(
        [
            "customer",
            "email",
            "metadata[a]",
            "items[0][price]",
            "line_items[0][price]",
            "line_items[0][quantity]",
            "mode",
            "success_url",
            "unit_amount",
            "currency",
            "recurring[interval]",
            "expand[]",
            "limit",
            "starting_after",
            "cancel_at",
            "cancel_at_period_end",
            "pause_collection[behavior]",
            "frozen_time",
            "url",
            "enabled_events[]",
            "created[gte]",
        ]
    ),
)
_PATHS = st.sampled_from(
    [
        ("POST", "/v1/customers"),
        ("GET", "/v1/customers"),
        ("POST", "/v1/prices"),
        ("GET", "/v1/prices"),
        ("POST", "/v1/products"),
        ("POST", "/v1/checkout/sessions"),
        ("GET", "/v1/checkout/sessions"),
        ("POST", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions"),
        ("POST", "/v1/subscriptions/sub_x"),
        ("DELETE", "/v1/subscriptions/sub_x"),
        ("GET", "/v1/invoices"),
        ("GET", "/v1/events"),
        ("POST", "/v1/billing_portal/sessions"),
        ("POST", "/v1/webhook_endpoints"),
        ("POST", "/v1/test_helpers/test_clocks"),
        ("POST", "/checkout/cs_test_x"),
        ("POST", "/portal/bps_x/card"),
        ("POST", "/_emulator/clock/advance"),
        ("POST", "/_emulator/delivery"),
        ("POST", "/_emulator/settings"),
    ]
)


@pytest.fixture(scope="module")
def test_client() -> Any:
    app = create_app(Services(Store(), DeliveryController()))
    return app.test_client()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_PATHS, pairs=st.lists(st.tuples(_KEYS, _TEXT), max_size=6))
def test_any_input_gets_a_clear_answer_never_a_500(
    test_client: Any, path: tuple[str, str], pairs: list[tuple[str, str]]
) -> None:
    method, url = path
    headers = {"Authorization": "Bearer sk_test_fuzz"}
    if method in ("GET", "DELETE"):
        response = test_client.open(
            url, method=method, query_string=urlencode(pairs), headers=headers
        )
    else:
        response = test_client.open(
            url,
            method=method,
            data=urlencode(pairs),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    assert response.status_code < 500, response.get_data(as_text=True)
    if url.startswith("/v1/") and response.status_code >= 400:
        assert response.get_json()["error"]["message"]

"""Stripe's form encoding over HTTP: bracket notation, typed parameters, errors naming the
parameter, and a clear answer to any input (never a 500)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator_support import http_request
from stripe_emulator import Emulator

KEY = {"Authorization": "Bearer sk_test_forms"}


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Emulator]:
    """An emulator of its own: the fuzz test creates whatever it manages to."""
    with Emulator(port=0, tick_interval=None, delivery_backoff=0.05) as emu:
        yield emu


def _post(emulator: Emulator, path: str, pairs: list[tuple[str, str]]) -> tuple[int, Any]:
    result = http_request("POST", f"{emulator.url}{path}", form=pairs, headers=KEY)
    return result.status, json.loads(result.body)


def test_brackets_build_nested_hashes_and_lists(emulator: Emulator) -> None:
    status, price = _post(
        emulator,
        "/v1/prices",
        [
            ("currency", "usd"),
            ("unit_amount", "700"),
            ("recurring[interval]", "month"),
            ("product_data[name]", "Brackets"),
            ("metadata[user_id]", "7"),
            ("metadata[0]", "zero"),  # a metadata key, not a list index
            ("expand[]", "product"),
        ],
    )
    assert status == 200, price
    assert price["recurring"]["interval"] == "month"
    assert price["metadata"] == {"user_id": "7", "0": "zero"}
    assert price["product"]["name"] == "Brackets"  # expand[] reached the answer


def test_list_indices_are_ordered_numerically(emulator: Emulator) -> None:
    prices = []
    for amount in ("100", "200", "300"):
        status, price = _post(
            emulator,
            "/v1/prices",
            [
                ("currency", "usd"),
                ("unit_amount", amount),
                ("recurring[interval]", "month"),
                ("product_data[name]", f"Line {amount}"),
            ],
        )
        assert status == 200, price
        prices.append(price["id"])
    status, session = _post(
        emulator,
        "/v1/checkout/sessions",
        [
            ("mode", "subscription"),
            ("success_url", "http://127.0.0.1:9/ok"),
            ("line_items[10][price]", prices[2]),
            ("line_items[10][quantity]", "1"),
            ("line_items[2][price]", prices[1]),
            ("line_items[2][quantity]", "1"),
            ("line_items[0][price]", prices[0]),
            ("line_items[0][quantity]", "1"),
        ],
    )
    assert status == 200, session
    items = http_request(
        "GET", f"{emulator.url}/v1/checkout/sessions/{session['id']}/line_items", headers=KEY
    )
    listed = [item["price"]["id"] for item in json.loads(items.body)["data"]]
    assert listed == prices  # 0, 2, 10: by number, not as text


@pytest.mark.parametrize(
    "pairs",
    [
        [("metadata", "1"), ("metadata[b]", "2")],
        [("metadata[b]", "2"), ("metadata", "1")],
        [("a]", "1")],
        [("[a]", "1")],
        [("email" + "[b]" * 20, "1")],
        [("preferred_locales[99999]", "x")],
    ],
)
def test_malformed_keys_are_a_400_error(emulator: Emulator, pairs: list[tuple[str, str]]) -> None:
    status, body = _post(emulator, "/v1/customers", pairs)
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"


def test_errors_name_the_nested_parameter(emulator: Emulator) -> None:
    base = [("currency", "usd"), ("unit_amount", "1"), ("product_data[name]", "x")]
    status, body = _post(
        emulator,
        "/v1/prices",
        [*base, ("recurring[interval]", "month"), ("recurring[interval_count]", "x")],
    )
    assert status == 400
    assert body["error"]["param"] == "recurring[interval_count]"
    assert body["error"]["code"] == "parameter_invalid_integer"
    status, body = _post(emulator, "/v1/prices", [*base, ("recurring[interval_count]", "2")])
    assert (body["error"]["code"], body["error"]["param"]) == (
        "parameter_missing",
        "recurring[interval]",
    )
    status, body = _post(emulator, "/v1/prices", [*base, ("active", "maybe")])
    assert (body["error"]["code"], body["error"]["param"]) == (
        "parameter_invalid_boolean",
        "active",
    )


def test_metadata_empty_values_delete_keys_and_an_empty_hash_clears_it(emulator: Emulator) -> None:
    _, customer = _post(
        emulator, "/v1/customers", [("metadata[keep]", "1"), ("metadata[drop]", "2")]
    )
    assert customer["metadata"] == {"keep": "1", "drop": "2"}
    path = f"/v1/customers/{customer['id']}"
    _, customer = _post(emulator, path, [("metadata[drop]", "")])
    assert customer["metadata"] == {"keep": "1"}
    _, customer = _post(emulator, path, [("metadata", "")])
    assert customer["metadata"] == {}


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("sk_live_51Habcdefghijklmn1234", "sk_live_****1234"),
        ("pk_test_abcdefgh9876", "pk_test_****9876"),
        ("short", "****"),
        ("my_secret_value_here_42", "****e_42"),
    ],
)
def test_refused_keys_are_masked_in_the_error(emulator: Emulator, key: str, shown: str) -> None:
    result = http_request(
        "GET", f"{emulator.url}/v1/customers", headers={"Authorization": f"Bearer {key}"}
    )
    assert result.status == 401
    assert json.loads(result.body)["error"]["message"] == f"Invalid API Key provided: {shown}"


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
            "query",
            "page",
            "delivery_success",
            "address[line1]",
            "preferred_locales[]",
            "tax_exempt",
            "automatic_tax[enabled]",
            "allow_promotion_codes",
            "ui_mode",
            "payment_settings[save_default_payment_method]",
        ]
    ),
)
_PATHS = st.sampled_from(
    [
        ("POST", "/v1/customers"),
        ("GET", "/v1/customers"),
        ("GET", "/v1/customers/search"),
        ("POST", "/v1/prices"),
        ("GET", "/v1/prices"),
        ("GET", "/v1/prices/search"),
        ("POST", "/v1/products"),
        ("POST", "/v1/checkout/sessions"),
        ("GET", "/v1/checkout/sessions"),
        ("POST", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions/search"),
        ("POST", "/v1/subscriptions/sub_x"),
        ("DELETE", "/v1/subscriptions/sub_x"),
        ("GET", "/v1/invoices"),
        ("GET", "/v1/events"),
        ("POST", "/v1/billing_portal/sessions"),
        ("POST", "/v1/webhook_endpoints"),
        ("POST", "/v1/test_helpers/test_clocks"),
        ("POST", "/checkout/cs_test_x"),
        ("POST", "/portal/bps_x/card"),
        ("GET", "/i/test_x"),
        ("POST", "/i/test_x"),
        ("POST", "/_emulator/clock/advance"),
        ("POST", "/_emulator/delivery"),
        ("POST", "/_emulator/settings"),
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=_PATHS, pairs=st.lists(st.tuples(_KEYS, _TEXT), max_size=6))
def test_any_input_gets_a_clear_answer_never_a_500(
    fuzzed: Emulator, path: tuple[str, str], pairs: list[tuple[str, str]]
) -> None:
    method, url = path
    if url.endswith("/delivery"):
        pairs = [pair for pair in pairs if pair[0] != "mode"]  # keep delivering normally
    if url.endswith("/clock/advance"):
        pairs = [pair for pair in pairs if pair[0] != "seconds"]  # keep the clock
    query = urlencode(pairs)
    if method in ("GET", "DELETE"):
        result = http_request(method, f"{fuzzed.url}{url}?{query}", headers=KEY)
    else:
        result = http_request(method, f"{fuzzed.url}{url}", form=pairs, headers=KEY)
    assert result.status < 500, result.body
    if url.startswith("/v1/") and result.status >= 400:
        assert json.loads(result.body)["error"]["message"]

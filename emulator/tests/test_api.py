"""The REST API as the stripe SDK sees it: auth, errors, idempotency, lists, expand."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from emulator_support import http_request, new_price, new_session, subscribe
from stripe_emulator import Emulator

KEY = {"Authorization": "Bearer sk_test_raw"}


def test_any_sk_test_key_is_accepted(emulator: Emulator) -> None:
    client = stripe.StripeClient("sk_test_anything", base_addresses={"api": emulator.url})
    assert client.v1.customers.list().object == "list"


def test_restricted_test_keys_are_accepted_too(emulator: Emulator) -> None:
    client = stripe.StripeClient("rk_test_limited", base_addresses={"api": emulator.url})
    assert client.v1.customers.list().object == "list"


@pytest.mark.parametrize("key", ["sk_test_", "rk_test_"])
def test_a_key_with_nothing_after_the_prefix_is_refused(emulator: Emulator, key: str) -> None:
    client = stripe.StripeClient(key, base_addresses={"api": emulator.url})
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401
    assert str(caught.value.user_message) == f"Invalid API Key provided: {key}****"


def test_other_keys_are_refused_without_being_echoed(emulator: Emulator) -> None:
    client = stripe.StripeClient(
        "sk_live_51Hsecretvalue1234abcd", base_addresses={"api": emulator.url}
    )
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 401
    message = str(caught.value.user_message)
    assert message == "Invalid API Key provided: sk_live_****abcd"
    assert "secretvalue" not in message


def test_a_request_without_key_gets_stripes_401(emulator: Emulator) -> None:
    result = http_request("GET", f"{emulator.url}/v1/customers")
    assert result.status == 401
    error = json.loads(result.body)["error"]
    assert error["type"] == "invalid_request_error"
    assert "did not provide an API key" in error["message"]


def test_basic_auth_with_the_key_as_user_works(emulator: Emulator) -> None:
    result = http_request(
        "GET",
        f"{emulator.url}/v1/customers",
        headers={"Authorization": "Basic c2tfdGVzdF94eXo6"},  # sk_test_xyz:
    )
    assert result.status == 200


def test_unknown_ids_are_404_resource_missing_naming_the_id(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.retrieve("sub_missing")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "id"  # as Stripe sends it
    assert str(caught.value.user_message) == "No such subscription: 'sub_missing'"
    for missing in (
        lambda: client.v1.customers.retrieve("cus_missing"),
        lambda: client.v1.invoices.retrieve("in_missing"),
        lambda: client.v1.events.retrieve("evt_missing"),
        lambda: client.v1.subscriptions.cancel("sub_missing"),
        lambda: client.v1.checkout.sessions.expire("cs_test_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            missing()
        assert (caught.value.http_status, caught.value.param) == (404, "id")


def test_an_unknown_id_in_a_parameter_is_400_with_the_param(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        new_session(client, customer="cus_missing")
    assert caught.value.http_status == 400
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "customer"


def test_missing_required_params_are_400_parameter_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params={"mode": "subscription", "success_url": "http://127.0.0.1:9/ok"}
        )
    assert caught.value.code == "parameter_missing"
    assert caught.value.param == "line_items"

    price = new_price(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "success_url": "http://127.0.0.1:9/ok",
                "line_items": [{"price": price}],
            }
        )
    assert caught.value.param == "line_items[0][quantity]"


def test_unknown_params_are_refused_like_stripe_does(emulator: Emulator) -> None:
    result = http_request(
        "POST", f"{emulator.url}/v1/customers", form={"emial": "a@example.com"}, headers=KEY
    )
    assert result.status == 400
    error = json.loads(result.body)["error"]
    assert error["code"] == "parameter_unknown"
    assert error["param"] == "emial"


def test_bad_integers_and_malformed_brackets_are_400(emulator: Emulator) -> None:
    for form in (
        {"currency": "usd", "unit_amount": "ten", "product_data[name]": "x"},
        {"metadata": "x", "metadata[a]": "b"},
        {"a]b[": "c"},
    ):
        result = http_request("POST", f"{emulator.url}/v1/prices", form=form, headers=KEY)
        assert result.status == 400, (form, result.body)
        assert json.loads(result.body)["error"]["type"] == "invalid_request_error"


def test_a_json_body_is_refused_with_a_hint(emulator: Emulator) -> None:
    result = http_request(
        "POST",
        f"{emulator.url}/v1/customers",
        body='{"email": "json@example.com"}',
        headers={**KEY, "Content-Type": "application/json"},
    )
    assert result.status == 400
    assert "form-encoded" in json.loads(result.body)["error"]["message"]


def test_unrecognized_urls_get_stripes_404(emulator: Emulator) -> None:
    result = http_request("GET", f"{emulator.url}/v1/unicorns", headers=KEY)
    assert result.status == 404
    assert "Unrecognized request URL (GET: /v1/unicorns)" in result.body


def test_bracket_notation_reaches_nested_metadata_and_lists(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(
        params={"email": "meta@example.com", "metadata": {"user_id": "7", "plan": "pro"}}
    )
    assert customer.metadata.to_dict() == {"user_id": "7", "plan": "pro"}
    updated = client.v1.customers.update(
        customer.id, params={"metadata": {"plan": "", "team": "a"}, "email": "new@example.com"}
    )
    assert updated.metadata.to_dict() == {"user_id": "7", "team": "a"}
    assert updated.email == "new@example.com"


def test_customer_update_records_previous_attributes(
    client: stripe.StripeClient, emulator: Emulator
) -> None:
    customer = client.v1.customers.create(params={"email": "before@example.com"})
    client.v1.customers.update(customer.id, params={"email": "after@example.com"})
    updated = emulator.state.events_of(customer.id)[-1]
    assert updated["type"] == "customer.updated"
    assert updated["data"]["previous_attributes"] == {"email": "before@example.com"}
    assert updated["data"]["object"]["email"] == "after@example.com"


def test_customers_can_be_listed_by_email(client: stripe.StripeClient) -> None:
    first = client.v1.customers.create(params={"email": "same@list.example"})
    second = client.v1.customers.create(params={"email": "same@list.example"})
    found = client.v1.customers.list(params={"email": "same@list.example"})
    assert [c.id for c in found.data] == [second.id, first.id]  # newest first


def test_prices_are_found_by_lookup_key(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month", "interval_count": 3},
            "product_data": {"name": "Quarterly"},
            "lookup_key": "quarterly_test",
        }
    )
    assert price.recurring.interval_count == 3
    found = client.v1.prices.list(params={"lookup_keys": ["quarterly_test"]})
    assert [p.id for p in found.data] == [price.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 1,
                "product": price.product,
                "lookup_key": "quarterly_test",
            }
        )


def test_pagination_walks_every_item_once(client: stripe.StripeClient) -> None:
    email = "pages@list.example"
    made = [client.v1.customers.create(params={"email": email}).id for _ in range(5)]
    page = client.v1.customers.list(params={"email": email, "limit": 2})
    assert page.has_more is True
    assert page.url == "/v1/customers"
    seen = [c.id for c in page.auto_paging_iter()]
    assert seen == list(reversed(made))
    before = client.v1.customers.list(params={"email": email, "ending_before": made[1]})
    assert [c.id for c in before.data] == list(reversed(made[2:]))


def test_expand_replaces_ids_with_objects(client: stripe.StripeClient) -> None:
    customer_id, subscription_id = subscribe(client)
    session = client.v1.checkout.sessions.list(params={"customer": customer_id}).data[0]
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["subscription", "customer", "invoice"]}
    )
    assert expanded.subscription.id == subscription_id
    assert expanded.customer.id == customer_id
    assert expanded.invoice.object == "invoice"
    subscription = client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["latest_invoice", "customer"]}
    )
    assert subscription.latest_invoice.status == "paid"
    invoice = client.v1.invoices.retrieve(
        subscription.latest_invoice.id,
        params={"expand": ["parent.subscription_details.subscription", "customer"]},
    )
    assert invoice.parent.subscription_details.subscription.id == subscription_id
    listed = client.v1.subscriptions.list(
        params={"customer": customer_id, "expand": ["data.latest_invoice"]}
    )
    assert listed.data[0].latest_invoice.object == "invoice"


def test_expanding_something_that_is_no_reference_is_400(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "x@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve(customer.id, params={"expand": ["email"]})
    assert "cannot be expanded" in str(caught.value.user_message)


def test_an_idempotency_key_replays_the_first_response(emulator: Emulator) -> None:
    headers = {**KEY, "Idempotency-Key": "replay-key-1"}
    form = {"email": "idem@example.com"}
    first = http_request("POST", f"{emulator.url}/v1/customers", form=form, headers=headers)
    again = http_request("POST", f"{emulator.url}/v1/customers", form=form, headers=headers)
    assert first.status == again.status == 200
    assert json.loads(again.body)["id"] == json.loads(first.body)["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers


def test_an_idempotency_key_reused_with_other_params_is_refused(emulator: Emulator) -> None:
    headers = {**KEY, "Idempotency-Key": "replay-key-2"}
    url = f"{emulator.url}/v1/customers"
    assert http_request("POST", url, form={"email": "a@example.com"}, headers=headers).status == 200
    other = http_request("POST", url, form={"email": "b@example.com"}, headers=headers)
    assert other.status == 400
    assert json.loads(other.body)["error"]["type"] == "idempotency_error"


def test_the_sdk_idempotency_option_creates_one_customer(client: stripe.StripeClient) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "sdk-customer-1"}
    params: stripe.params.CustomerCreateParams = {"email": "once@list.example"}
    first = client.v1.customers.create(params=params, options=options)
    second = client.v1.customers.create(params=params, options=options)
    assert first.id == second.id
    assert len(client.v1.customers.list(params={"email": "once@list.example"}).data) == 1


def test_events_can_be_filtered_by_type(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "events@example.com"})
    created = client.v1.events.list(params={"type": "customer.created", "limit": 100})
    assert customer.id in [e.data.object.id for e in created.data]
    assert {e.type for e in created.data} == {"customer.created"}
    wildcard = client.v1.events.list(params={"type": "customer.*", "limit": 5})
    assert all(e.type.startswith("customer.") for e in wildcard.data)
    several = client.v1.events.list(params={"types": ["customer.created", "price.created"]})
    assert {e.type for e in several.data} <= {"customer.created", "price.created"}
    event = client.v1.events.retrieve(created.data[0].id)
    assert event.type == "customer.created"


def test_events_can_be_filtered_by_created(client: stripe.StripeClient) -> None:
    events = client.v1.events.list(params={"limit": 1})
    newest = events.data[0].created
    later = client.v1.events.list(params={"created": {"gt": newest}})
    assert later.data == []


def test_webhook_endpoint_secret_is_shown_only_at_creation(client: stripe.StripeClient) -> None:
    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]}
    )
    try:
        assert str(endpoint.secret).startswith("whsec_")
        assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id)
        listed = client.v1.webhook_endpoints.list().data
        assert all("secret" not in e for e in listed)
    finally:
        deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(endpoint.id)


def test_responses_carry_a_request_id(emulator: Emulator) -> None:
    result = http_request("GET", f"{emulator.url}/v1/events?limit=1", headers=KEY)
    assert result.headers["request-id"].startswith("req_")


def test_the_date_header_is_the_emulators_clock_moved_by_time_travel(
    own_emulator: Emulator,
) -> None:
    from email.utils import parsedate_to_datetime

    moved = http_request(
        "POST", f"{own_emulator.url}/_emulator/clock/advance", form={"seconds": str(86400 * 3)}
    )
    assert moved.status == 200
    answer = http_request(
        "GET", f"{own_emulator.url}/v1/customers", headers={"Authorization": "Bearer sk_test_x"}
    )
    stamped = parsedate_to_datetime(answer.headers["date"]).timestamp()
    assert abs(stamped - (time.time() + 86400 * 3)) < 60
    # One Date only: the Stripe SDK joins repeated headers ("<machine's>, <emulator's>"),
    # and a client reading that one gets the machine's time.
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": own_emulator.url})
    listed = client.v1.customers.list()
    assert listed.last_response is not None
    joined = listed.last_response.headers["Date"]
    assert abs(parsedate_to_datetime(joined).timestamp() - stamped) < 60, joined

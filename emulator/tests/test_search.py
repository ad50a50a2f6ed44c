"""Search endpoints (``/v1/customers/search`` and friends) with Stripe's query language.

They answered "parameter_unknown: query" before (issue 9): the path was read as an id.
"""

from __future__ import annotations

import pytest
import stripe

from emulator_support import subscribe


def _ids(result: stripe.SearchResultObject) -> list[str]:  # type: ignore[type-arg]
    return [str(obj.id) for obj in result.data]


def test_customers_are_found_by_email_name_and_metadata(client: stripe.StripeClient) -> None:
    jenny = client.v1.customers.create(
        params={"email": "jenny@search.example", "name": "Jenny Rosen", "metadata": {"u": "7"}}
    )
    other = client.v1.customers.create(
        params={"email": "other@search.example", "name": "Jo Other", "metadata": {"u": "8"}}
    )
    search = client.v1.customers.search
    found = search(params={"query": "email:'jenny@search.example'"})
    assert found.object == "search_result"
    assert found.url == "/v1/customers/search"
    assert _ids(found) == [jenny.id]
    assert _ids(search(params={"query": "email:'JENNY@search.example'"})) == [jenny.id]
    assert _ids(search(params={"query": "metadata['u']:'8'"})) == [other.id]
    assert _ids(search(params={"query": 'name~"rosen" AND metadata["u"]:"7"'})) == [jenny.id]
    both = search(params={"query": "metadata['u']:'7' OR metadata['u']:'8'"})
    assert _ids(both) == [other.id, jenny.id]  # newest first
    assert _ids(search(params={"query": "-email:'jenny@search.example' AND name~'Other'"})) == [
        other.id
    ]
    newer = search(params={"query": f"created>={other.created} AND email~'search.example'"})
    assert other.id in _ids(newer)


def test_search_results_page_with_next_page_and_count(client: stripe.StripeClient) -> None:
    made = [
        client.v1.customers.create(params={"email": f"p{n}@pages-search.example"}).id
        for n in range(5)
    ]
    query = "email~'pages-search.example'"
    first = client.v1.customers.search(
        params={"query": query, "limit": 2, "expand": ["total_count"]}
    )
    assert first.has_more is True
    assert first.next_page is not None
    assert first["total_count"] == 5
    assert [c.id for c in first.auto_paging_iter()] == list(reversed(made))


def test_subscriptions_and_prices_and_invoices_are_searchable(client: stripe.StripeClient) -> None:
    _, subscription_id = subscribe(client)
    subscription = client.v1.subscriptions.retrieve(subscription_id)
    price_id = subscription["items"].data[0].price.id
    found = client.v1.subscriptions.search(
        params={"query": f"status:'active' AND created>={subscription.created}"}
    )
    assert subscription_id in _ids(found)
    assert all(s.status == "active" for s in found.data)

    looked_up = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Searched"},
            "lookup_key": "searched_monthly",
        }
    )
    prices = client.v1.prices.search(params={"query": "lookup_key:'searched_monthly'"})
    assert _ids(prices) == [looked_up.id]
    assert price_id in _ids(
        client.v1.prices.search(params={"query": "active:'true'", "limit": 100})
    )
    invoices = client.v1.invoices.search(params={"query": f"subscription:'{subscription_id}'"})
    assert _ids(invoices) == [subscription.latest_invoice]
    products = client.v1.products.search(params={"query": "name:'Searched'"})
    assert _ids(products) == [looked_up.product]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("unknown_field:'x'", "unsupported search field"),
        ("email:", "Invalid search query"),
        ("email:'a' AND name:'b' OR phone:'c'", "cannot combine AND and OR"),
        ("email:'a' name:'b'", "Invalid search query"),
        ("name~'ab'", "at least 3 characters"),
        ("created>'soon'", "needs a number"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_query(
    client: stripe.StripeClient, query: str, words: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.search(params={"query": query})
    assert caught.value.http_status == 400
    assert caught.value.param == "query"
    assert words in str(caught.value.user_message)


def test_a_search_without_query_is_parameter_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.subscriptions.search(params={})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "query")

"""A catalog of plans: several products, monthly and yearly prices found by lookup key."""

from __future__ import annotations

import uuid

import pytest
import stripe


def _key(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:8]}"  # the session's emulator is shared


def test_several_prices_are_listed_by_their_lookup_keys(client: stripe.StripeClient) -> None:
    keys = {name: _key(name) for name in ("basic_m", "basic_y", "pro_m", "pro_y")}
    basic = client.v1.products.create(params={"name": "Basic"})
    pro = client.v1.products.create(params={"name": "Pro"})
    made = {}
    for name, key in keys.items():
        product = basic if name.startswith("basic") else pro
        yearly = name.endswith("_y")
        made[name] = client.v1.prices.create(
            params={
                "currency": "eur",
                "unit_amount": (900 if product is basic else 1900) * (10 if yearly else 1),
                "recurring": {"interval": "year" if yearly else "month"},
                "product": product.id,
                "lookup_key": key,
            }
        )
    found = client.v1.prices.list(
        params={"lookup_keys": list(keys.values()), "expand": ["data.product"]}
    )
    by_key = {price.lookup_key: price for price in found.data}
    assert set(by_key) == set(keys.values())
    assert by_key[keys["pro_y"]].recurring.interval == "year"
    assert by_key[keys["pro_y"]].unit_amount == 19000
    assert by_key[keys["basic_m"]].product.name == "Basic"
    two = client.v1.prices.list(params={"lookup_keys": [keys["basic_m"], keys["pro_m"]]})
    assert {p.id for p in two.data} == {made["basic_m"].id, made["pro_m"].id}


def test_lookup_keys_move_with_transfer_and_inactive_prices_filter_out(
    client: stripe.StripeClient,
) -> None:
    key = _key("pro_monthly")
    old = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
            "lookup_key": key,
        }
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(
            params={
                "currency": "usd",
                "unit_amount": 1200,
                "recurring": {"interval": "month"},
                "product": old.product,
                "lookup_key": key,
            }
        )
    new = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1200,
            "recurring": {"interval": "month"},
            "product": old.product,
            "lookup_key": key,
            "transfer_lookup_key": True,
        }
    )
    assert client.v1.prices.retrieve(old.id).lookup_key is None
    assert [p.id for p in client.v1.prices.list(params={"lookup_keys": [key]}).data] == [new.id]
    client.v1.prices.update(old.id, params={"active": False})
    listed = client.v1.prices.list(params={"product": old.product, "active": True}).data
    assert [p.id for p in listed] == [new.id]
    inactive = client.v1.prices.list(params={"product": old.product, "active": False}).data
    assert [p.id for p in inactive] == [old.id]

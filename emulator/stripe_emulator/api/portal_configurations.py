"""Billing-portal configurations: ``/v1/billing_portal/configurations``.

What the portal page does with them is in :mod:`..portal` and :mod:`..plan_switches`.
Every feature the page can show is modeled (plan switches, cancellation, the card,
invoice history); one it cannot (customer details, pauses, a login page, cancellation
reasons, quantities, promotion codes) is refused with ``not_emulated`` when enabled.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from flask import Response

from .. import objects
from ..errors import StripeError, not_emulated, parameter_invalid, parameter_missing
from ..forms import Params, apply_metadata
from ..objects import Json
from ..objects.portal_configuration import disabled_features
from ..store import Store
from .common import LIST_PARAMS, list_response, params, respond, route, services, url_param

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
CONDITIONS = ("decreasing_item_amount", "shortening_interval")
_CUSTOMER_FIELDS = ("address", "email", "name", "phone", "shipping", "tax_id")
_REASONS = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
_MAX_PRODUCTS = 10


def _enabled(p: Params, creating: bool) -> bool | None:
    value = p.boolean("enabled")
    if value is None and creating:
        raise parameter_missing(p.name("enabled"))
    return value


def _customer_update(store: Store, p: Params, feature: Json, creating: bool) -> None:
    p.check_known(("enabled", "allowed_updates"))
    if _enabled(p, creating):
        raise not_emulated(p.name("enabled"), "updating customer details in the portal")
    feature["enabled"] = False
    if p.has("allowed_updates"):
        allowed = p.strings("allowed_updates")
        for index, value in enumerate(allowed):
            if value not in _CUSTOMER_FIELDS:
                raise parameter_invalid(f"{p.name('allowed_updates')}[{index}]", "Invalid value.")
        feature["allowed_updates"] = allowed


def _invoice_history(store: Store, p: Params, feature: Json, creating: bool) -> None:
    p.check_known(("enabled",))
    enabled = _enabled(p, creating)
    if enabled is not None:
        feature["enabled"] = enabled


def _payment_method_update(store: Store, p: Params, feature: Json, creating: bool) -> None:
    p.check_known(("enabled", "payment_method_configuration"))
    p.refuse("payment_method_configuration", "payment method configurations")
    enabled = _enabled(p, creating)
    if enabled is not None:
        feature["enabled"] = enabled


def _subscription_cancel(store: Store, p: Params, feature: Json, creating: bool) -> None:
    p.check_known(("enabled", "mode", "proration_behavior", "cancellation_reason"))
    enabled = _enabled(p, creating)
    if enabled is not None:
        feature["enabled"] = enabled
    mode = p.string("mode", choices=("at_period_end", "immediately"))
    feature["mode"] = mode or feature["mode"]
    proration = p.string("proration_behavior", choices=PRORATION_BEHAVIORS)
    if proration == "always_invoice":
        raise parameter_invalid(
            p.name("proration_behavior"),
            "proration_behavior must be none or create_prorations when canceling.",
        )
    if proration == "create_prorations":
        raise not_emulated(p.name("proration_behavior"), "prorations at cancellation")
    reason = p.nested("cancellation_reason")
    if reason is not None:
        reason.check_known(("enabled", "options", "feedback_options"))
        reason.refuse("feedback_options", "custom cancellation feedback")
        if _enabled(reason, True):
            raise not_emulated(reason.name("enabled"), "asking for a cancellation reason")
        options = reason.strings("options")
        for index, value in enumerate(options):
            if value not in _REASONS:
                raise parameter_invalid(f"{reason.name('options')}[{index}]", "Invalid value.")
        feature["cancellation_reason"] = {"enabled": False, "options": options}


def _subscription_pause(store: Store, p: Params, feature: Json | None, creating: bool) -> None:
    p.check_known(("enabled", "duration"))
    p.refuse("duration", "pausing subscriptions in the portal")
    if p.boolean("enabled"):
        raise not_emulated(p.name("enabled"), "pausing subscriptions in the portal")


def _products(store: Store, p: Params) -> list[Json]:
    entries = p.hashes("products")
    if len(entries) > _MAX_PRODUCTS:
        raise parameter_invalid(p.name("products"), "At most 10 products can be listed.")
    products = []
    for entry in entries:
        entry.check_known(("product", "prices", "adjustable_quantity"))
        quantity = entry.nested("adjustable_quantity")
        if quantity is not None:
            quantity.check_known(("enabled", "maximum", "minimum"))
            if quantity.boolean("enabled"):
                raise not_emulated(quantity.name("enabled"), "changing quantities in the portal")
        product_id = entry.required_string("product")
        store.get_param(store.products, product_id, "product", entry.name("product"))
        prices = entry.strings("prices")
        if not prices:
            raise parameter_missing(entry.name("prices"))
        for index, price_id in enumerate(prices):
            name = f"{entry.name('prices')}[{index}]"
            price = store.get_param(store.prices, price_id, "price", name)
            if price["product"] != product_id:
                raise parameter_invalid(
                    name, f"The price {price_id} is not a price of {product_id}."
                )
            if price["recurring"] is None:
                raise parameter_invalid(name, f"The price {price_id} is not recurring.")
        products.append(objects.portal_product(product_id, list(dict.fromkeys(prices))))
    return products


def _subscription_update(store: Store, p: Params, feature: Json, creating: bool) -> None:
    p.check_known(
        (
            "enabled",
            "default_allowed_updates",
            "products",
            "proration_behavior",
            "schedule_at_period_end",
            "trial_update_behavior",
            "billing_cycle_anchor",
        )
    )
    enabled = _enabled(p, creating)
    if enabled is not None:
        feature["enabled"] = enabled
    if p.has("default_allowed_updates"):
        allowed = p.strings("default_allowed_updates")
        for index, value in enumerate(allowed):
            name = f"{p.name('default_allowed_updates')}[{index}]"
            if value in ("promotion_code", "quantity"):
                raise not_emulated(name, f"{value} updates in the portal")
            if value != "price":
                raise parameter_invalid(
                    name, "Invalid value: must be price, promotion_code or quantity."
                )
        feature["default_allowed_updates"] = list(dict.fromkeys(allowed))
    if p.has("products"):
        feature["products"] = _products(store, p)
    behavior = p.string("proration_behavior", choices=PRORATION_BEHAVIORS)
    feature["proration_behavior"] = behavior or feature["proration_behavior"]
    schedule = p.nested("schedule_at_period_end")
    if schedule is not None:
        schedule.check_known(("conditions",))
        conditions = []
        for condition in schedule.hashes("conditions"):
            condition.check_known(("type",))
            conditions.append({"type": condition.required_string("type", choices=CONDITIONS)})
        feature["schedule_at_period_end"] = {"conditions": conditions}
    trial = p.string("trial_update_behavior", choices=("continue_trial", "end_trial"))
    feature["trial_update_behavior"] = trial or feature["trial_update_behavior"]
    if p.has("billing_cycle_anchor"):
        feature["billing_cycle_anchor"] = p.string(
            "billing_cycle_anchor", choices=("now", "unchanged")
        )
    if feature["enabled"]:
        for key in ("default_allowed_updates", "products"):
            if not feature[key]:
                raise parameter_missing(p.name(key))


_Reader = Callable[[Store, Params, Json, bool], None]
_FEATURES: dict[str, _Reader] = {
    "customer_update": _customer_update,
    "invoice_history": _invoice_history,
    "payment_method_update": _payment_method_update,
    "subscription_cancel": _subscription_cancel,
    "subscription_pause": _subscription_pause,
    "subscription_update": _subscription_update,
}


def _read_features(store: Store, p: Params, current: Json, *, creating: bool) -> Json:
    features = copy.deepcopy(current)
    given = p.nested("features")
    if given is None:
        if creating:
            raise parameter_missing("features")
        return features
    given.check_known(_FEATURES)
    for key, read in _FEATURES.items():
        nested = given.nested(key)
        if nested is not None:
            read(store, nested, features.get(key) or {}, creating)
    return features


def _business_profile(p: Params, current: Json) -> Json:
    profile = dict(current)
    given = p.nested("business_profile")
    if given is None:
        return profile
    given.check_known(("headline", "privacy_policy_url", "terms_of_service_url"))
    if given.has("headline"):
        profile["headline"] = given.string("headline", max_length=60)
    for key in ("privacy_policy_url", "terms_of_service_url"):
        if given.has(key):
            profile[key] = url_param(given, key)
    return profile


def _settings(p: Params, configuration: Json) -> None:
    """What create and update share besides the features."""
    login = p.nested("login_page")
    if login is not None:
        login.check_known(("enabled",))
        if login.boolean("enabled"):
            raise not_emulated(login.name("enabled"), "the portal's login page")
    configuration["business_profile"] = _business_profile(p, configuration["business_profile"])
    if p.has("default_return_url"):
        configuration["default_return_url"] = url_param(p, "default_return_url")
    if p.has("name"):
        configuration["name"] = p.string("name", max_length=256)
    apply_metadata(configuration["metadata"], p.metadata())


_KNOWN = ("business_profile", "default_return_url", "features", "login_page", "metadata", "name")


@route("/billing_portal/configurations", ["POST"])
def create_configuration() -> Response:
    p = params()
    p.check_known(_KNOWN)
    store = services().store
    store.default_portal_configuration()  # made first, so that lists keep their order
    features = _read_features(store, p, disabled_features(), creating=True)
    configuration = objects.portal_configuration(created=store.now(), features=features)
    _settings(p, configuration)
    store.portal_configurations[configuration["id"]] = configuration
    return respond(configuration)


def _configuration(store: Store, configuration_id: str) -> Json:
    store.default_portal_configuration()
    return store.get(store.portal_configurations, configuration_id, "billing_portal.configuration")


@route("/billing_portal/configurations/<configuration_id>", ["GET"])
def retrieve_configuration(configuration_id: str) -> Response:
    params().check_known(())
    return respond(_configuration(services().store, configuration_id))


@route("/billing_portal/configurations/<configuration_id>", ["POST"])
def update_configuration(configuration_id: str) -> Response:
    p = params()
    p.check_known(("active", *_KNOWN))
    store = services().store
    configuration = _configuration(store, configuration_id)
    changed = copy.deepcopy(configuration)  # nothing is stored unless all of it is valid
    changed["features"] = _read_features(store, p, configuration["features"], creating=False)
    _settings(p, changed)
    active = p.boolean("active")
    if active is False and changed["is_default"]:
        raise StripeError("The default configuration cannot be deactivated.", param="active")
    if active is not None:
        changed["active"] = active
    changed["updated"] = store.now()
    configuration.clear()
    configuration.update(changed)
    return respond(configuration)


@route("/billing_portal/configurations", ["GET"])
def list_configurations() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "active", "is_default"))
    active, is_default = p.boolean("active"), p.boolean("is_default")
    store = services().store
    store.default_portal_configuration()
    return list_response(
        store.portal_configurations.values(),
        "/v1/billing_portal/configurations",
        lambda x: (
            (active is None or x["active"] == active)
            and (is_default is None or x["is_default"] == is_default)
        ),
    )

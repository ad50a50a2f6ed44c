"""Billing-portal sessions: ``/v1/billing_portal/sessions`` (their page is in :mod:`..pages`)."""

from __future__ import annotations

from flask import Response

from ..errors import StripeError, resource_missing
from .common import params, respond, route, services, url_param


@route("/billing_portal/sessions", ["POST"])
def create_portal_session() -> Response:
    p = params()
    p.check_known(("customer", "return_url", "locale", "configuration", "on_behalf_of"))
    p.refuse("on_behalf_of", "Connect accounts")
    s = services()
    customer = s.store.get_param(
        s.store.customers, p.required_string("customer"), "customer", "customer"
    )
    configuration = s.store.default_portal_configuration()
    configuration_id = p.string("configuration")
    if configuration_id is not None:
        found = s.store.portal_configurations.get(configuration_id)
        if found is None:
            raise resource_missing(
                "billing_portal.configuration", configuration_id, param="configuration"
            )
        if not found["active"]:
            raise StripeError(
                f"The configuration {configuration_id} is not active.", param="configuration"
            )
        configuration = found
    session = s.portal.create(
        customer,
        configuration=configuration,
        return_url=url_param(p, "return_url") or configuration["default_return_url"],
        locale=p.string("locale"),
    )
    return respond(session)

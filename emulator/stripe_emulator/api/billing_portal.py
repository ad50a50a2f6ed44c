"""Billing-portal sessions: ``/v1/billing_portal/sessions`` (their page is in :mod:`..pages`)."""

from __future__ import annotations

from flask import Response

from ..errors import resource_missing
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
    configuration = p.string("configuration")
    if configuration not in (None, s.store.portal_configuration):
        # The emulator has one configuration, its default (the id on every session).
        raise resource_missing("billing_portal.configuration", configuration, param="configuration")
    session = s.portal.create(
        customer, return_url=url_param(p, "return_url"), locale=p.string("locale")
    )
    return respond(session)

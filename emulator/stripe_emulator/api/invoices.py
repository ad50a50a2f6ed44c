"""Invoices: ``/v1/invoices``."""

from __future__ import annotations

from flask import Response

from .common import (
    LIST_PARAMS,
    list_response,
    params,
    respond,
    route,
    search_response,
    services,
)


@route("/invoices/search", ["GET"])
def search_invoices() -> Response:
    return search_response(
        services().store.invoices.values(),
        "/v1/invoices/search",
        "invoices",
        {
            "created": lambda x: x["created"],
            "currency": lambda x: x["currency"],
            "customer": lambda x: x["customer"],
            "number": lambda x: x["number"],
            "status": lambda x: x["status"],
            "subscription": lambda x: x["parent"]["subscription_details"]["subscription"],
            "total": lambda x: x["total"],
        },
    )


@route("/invoices/<invoice_id>", ["GET"])
def retrieve_invoice(invoice_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.invoices, invoice_id, "invoice"))


@route("/invoices", ["GET"])
def list_invoices() -> Response:
    p = params()
    p.check_known((*LIST_PARAMS, "customer", "subscription", "status", "collection_method"))
    customer, subscription = p.string("customer"), p.string("subscription")
    p.only("collection_method", "charge_automatically", "invoices sent for manual payment")
    status = p.string("status", choices=("draft", "open", "paid", "uncollectible", "void"))
    return list_response(
        services().store.invoices.values(),
        "/v1/invoices",
        lambda x: (
            (customer is None or x["customer"] == customer)
            and (status is None or x["status"] == status)
            and (
                subscription is None
                or x["parent"]["subscription_details"]["subscription"] == subscription
            )
        ),
    )

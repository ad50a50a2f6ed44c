"""Webhook endpoints: ``/v1/webhook_endpoints``."""

from __future__ import annotations

from flask import Response

from .. import objects
from ..errors import not_emulated, parameter_missing
from ..forms import Params, apply_metadata, new_metadata
from .common import LIST_PARAMS, list_response, params, respond, route, services, url_param


def _enabled_events(p: Params) -> list[str]:
    events = p.strings("enabled_events")
    if not events:
        raise parameter_missing("enabled_events")
    return events


@route("/webhook_endpoints", ["POST"])
def create_webhook_endpoint() -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "api_version", "connect"))
    if p.boolean("connect"):
        raise not_emulated("connect", "Connect webhook endpoints")
    p.only("api_version", objects.API_VERSION, "events in other API versions")
    s = services()
    endpoint = s.add_webhook_endpoint(
        url=_webhook_url(p),
        enabled_events=_enabled_events(p),
        description=p.string("description"),
        metadata=new_metadata(p.metadata()),
        api_version=p.string("api_version"),
    )
    return respond(endpoint)


def _webhook_url(p: Params) -> str:
    url = url_param(p, "url", required=True)
    assert url is not None
    return url


@route("/webhook_endpoints/<endpoint_id>", ["GET"])
def retrieve_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    return respond(store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints/<endpoint_id>", ["POST"])
def update_webhook_endpoint(endpoint_id: str) -> Response:
    p = params()
    p.check_known(("url", "enabled_events", "description", "metadata", "disabled"))
    store = services().store
    endpoint = store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    if p.has("url"):
        endpoint["url"] = _webhook_url(p)
    if p.has("enabled_events"):
        endpoint["enabled_events"] = _enabled_events(p)
    if p.has("description"):
        endpoint["description"] = p.string("description")
    disabled = p.boolean("disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    apply_metadata(endpoint["metadata"], p.metadata())
    return respond(endpoint)


@route("/webhook_endpoints/<endpoint_id>", ["DELETE"])
def delete_webhook_endpoint(endpoint_id: str) -> Response:
    params().check_known(())
    store = services().store
    store.get(store.webhook_endpoints, endpoint_id, "webhook_endpoint")
    del store.webhook_endpoints[endpoint_id]
    store.webhook_secrets.pop(endpoint_id, None)
    return respond(objects.deleted_object(endpoint_id, "webhook_endpoint"))


@route("/webhook_endpoints", ["GET"])
def list_webhook_endpoints() -> Response:
    params().check_known(LIST_PARAMS)
    return list_response(services().store.webhook_endpoints.values(), "/v1/webhook_endpoints")

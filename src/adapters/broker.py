"""Whether the task queue's broker (BROKER_URL, Redis) answers: for /readyz."""

import logging

import redis

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2


def broker_problem(url: str) -> str | None:
    """None when the broker answers a PING; else a short reason without its address
    (the URL may hold a password: only the kind of error is logged)."""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as error:
        log.warning("readiness: the broker cannot be reached: %s", type(error).__name__)
        return "broker unreachable"
    return None

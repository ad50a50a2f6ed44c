"""The signed session cookie, as Flask's own, with its fixed costs paid once.

Flask builds a new serializer for every request (and every cookie it signs), and
itsdangerous derives the signing key from the secret anew for every signature it makes
or checks: on a page that does little else, a visible share of the request. Both depend
on the secret keys only, so they are kept; a rotated SECRET_KEY (or its fallbacks) gets
its own. The cookie's format, signature, salt and expiry are Flask's, unchanged.
"""

import time
from functools import cache, lru_cache
from hashlib import sha512
from typing import Any, cast

from flask import Flask, Request, Response, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.http import parse_cookie
from werkzeug.utils import cached_property


class _KeptKeySigner(TimestampSigner):
    """A signer whose derived keys are computed once per (secret, salt, method)."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        return _derived(key, self.salt, self.key_derivation, self.digest_method)


@cache
def _derived(secret_key: bytes, salt: bytes, derivation: str, digest_method: Any) -> bytes:
    signer = Signer(secret_key, salt=salt, key_derivation=derivation, digest_method=digest_method)
    return signer.derive_key()


def kept_serializer(secret_keys: tuple[str | bytes, ...], salt: str, **kwargs: Any) -> Any:
    """A URL-safe timed serializer for `secret_keys` (newest last) and `salt`, made once."""
    return _serializer(secret_keys, salt, tuple(sorted(kwargs.items())))


@cache
def _serializer(
    secret_keys: tuple[str | bytes, ...], salt: str, options: tuple[tuple[str, Any], ...]
) -> URLSafeTimedSerializer:
    kwargs = dict(options)
    signer_kwargs = dict(kwargs.pop("signer_kwargs", ()))
    return URLSafeTimedSerializer(
        list(secret_keys),  # type: ignore[arg-type]
        salt=salt,
        signer=_KeptKeySigner,
        signer_kwargs=signer_kwargs,
        **kwargs,
    )


KEPT = 4096  # sessions kept opened (per process); full, it starts again
_PLAIN = (str, int, float, bool, type(None))
_opened: dict[tuple[object, str], tuple[dict[str, Any], float]] = {}


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose cookie is Secure whenever the request came over
    https (directly, or through TRUSTED_PROXY_HOPS proxies), not only when configured."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or (has_request_context() and request.is_secure))

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        return kept_serializer(  # type: ignore[no-any-return]
            keys,
            self.salt,
            serializer=self.serializer,
            signer_kwargs=(
                ("key_derivation", self.key_derivation),
                ("digest_method", self.digest_method),
            ),
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # A browser sends the same cookie with every page until the session changes: one
        # already verified (with these keys) is read from what it said then. Its age is
        # still checked against the lifetime; only sessions of plain values (strings,
        # numbers) are kept, since the session each request gets is a shallow copy.
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (serializer, value)
        kept = _opened.get(key)
        if kept is not None:
            data, signed_at = kept
            if 0 <= time.time() - signed_at <= max_age:
                return self.session_class(data)
            _opened.pop(key, None)
        try:
            data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(v) in _PLAIN for v in data.values()):
            if len(_opened) >= KEPT:
                _opened.clear()
            _opened[key] = (data, signed.timestamp())
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Nothing to send (the usual page): only the Vary header Flask would add.
        if not session.modified and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def kept_session_identifier() -> str:
    """Flask-Login's session identifier (its `_create_identifier`: the client's address,
    the first of X-Forwarded-For's when sent, and its User-Agent, hashed with SHA-512),
    which its session protection computes on every request: hashed once per client."""
    headers = request.headers
    return _identifier(
        headers.get("X-Forwarded-For", request.remote_addr), headers.get("User-Agent")
    )


@lru_cache(maxsize=KEPT)
def _identifier(address: str | None, user_agent: str | None) -> str:
    given = address.encode("utf-8").split(b",")[0].strip() if address is not None else None
    agent = user_agent.encode("utf-8") if user_agent is not None else None
    return sha512(f"{given!r}|{agent!r}".encode()).hexdigest()  # as Flask-Login's f"{b'...'}"


KEPT_COOKIE_HEADERS = 1024  # Cookie headers kept parsed (per process); full, it starts again
KEPT_COOKIE_HEADER_SIZE = 1024  # longer headers are parsed each time, never kept
_parsed: dict[str, ImmutableMultiDict[str, str]] = {}


class KeptCookiesRequest(Request):
    """Flask's request, whose cookies are parsed once per Cookie header: a browser sends
    the same header with every page until a cookie changes. The parsed cookies are
    immutable (werkzeug's ImmutableMultiDict), so one parse serves every request that
    sent the same header."""

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        header = ";".join(self.headers.getlist("Cookie"))
        kept = _parsed.get(header)
        if kept is None:
            parsed = parse_cookie(header, cls=self.dict_storage_class)
            kept = cast(ImmutableMultiDict[str, str], parsed)  # dict_storage_class: immutable
            if len(header) <= KEPT_COOKIE_HEADER_SIZE:
                if len(_parsed) >= KEPT_COOKIE_HEADERS:
                    _parsed.clear()
                _parsed[header] = kept
        return kept

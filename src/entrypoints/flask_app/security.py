"""Security headers on every answer.

Our own few lines rather than flask-talisman: the policy is fixed and small, and the
pages use no inline script or style, so a strict policy costs nothing.
"""

from flask import Flask, Response, request

# Browsers apply form-action to the redirect after a form post too: the forms that
# lead to Stripe's checkout and billing portal need those origins.
STRIPE_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


def content_security_policy(extra_form_targets: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *STRIPE_PAGES, *extra_form_targets))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
        ]
    )


HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def add_security_headers(app: Flask, extra_form_targets: tuple[str, ...] = ()) -> None:
    headers = {"Content-Security-Policy": content_security_policy(extra_form_targets), **HEADERS}
    ours = [(name.lower(), (name, value)) for name, value in headers.items()]

    @app.after_request
    def _headers(response: Response) -> Response:
        # One pass over the answer's few headers rather than a look-up (a scan) for each
        # of ours: a view's own value of any of them is kept, as setdefault would.
        answer = response.headers
        present = {name.lower() for name, _ in answer}
        answer.extend([pair for key, pair in ours if key not in present])
        if request.is_secure and "strict-transport-security" not in present:
            answer.add("Strict-Transport-Security", "max-age=31536000")
        if "cache-control" not in present and "text/html" in (response.content_type or ""):
            answer.add("Cache-Control", "no-store")
        return response

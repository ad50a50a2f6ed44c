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

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "text/html" in response.content_type:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

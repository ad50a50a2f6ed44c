"""The Flask app: `create_app()` builds it; nothing happens at import time."""

from entrypoints.flask_app.app import create_app

__all__ = ["create_app"]

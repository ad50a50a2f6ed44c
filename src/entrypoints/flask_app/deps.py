"""The container of the app serving the current request (or CLI command).

Views ask it for their use case at call time. dependency-injector's `wire()` would
patch the view functions themselves, process-wide, so a second `create_app()` (another
test, another worker set-up) would silently rewire the first app's views to its own
container; reading the app's own container cannot cross apps.
"""

from typing import cast

from flask import current_app

from entrypoints.container import Container


def container() -> Container:
    return cast(Container, current_app.extensions["container"])

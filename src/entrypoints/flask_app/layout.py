"""What every page's layout needs beyond its own view: the nav's plan badge, the
`money` and `date` filters (entrypoints.flask_app.formatting), the favicon."""

from datetime import datetime

from flask import Flask, Response, current_app, g, send_from_directory
from flask_login import current_user

from application.use_cases.get_plan_in_force import GetPlanInForceCommand
from entrypoints.flask_app import formatting
from entrypoints.flask_app.deps import container


def install_layout(app: Flask) -> None:
    app.add_template_filter(formatting.money, "money")
    app.add_template_filter(_date, "date")
    app.add_template_global(plan_badge)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def plan_badge() -> str | None:
    """The name of the plan the signed-in user reads under, for the nav; None for a
    visitor or a user without one. Called by the template only when it shows the
    signed-in nav (never on a 5xx page, whose database may be what failed), and computed
    from the user loaded for this request: no extra read."""
    if "plan_badge" not in g:
        plan = None
        if current_user.is_authenticated:
            command = GetPlanInForceCommand(current_user.account)
            plan = container().get_plan_in_force().execute(command)
        g.plan_badge = plan.name if plan else None
    return g.plan_badge  # type: ignore[no-any-return]


def _date(moment: datetime) -> str:
    return formatting.long_date(moment)


def _favicon() -> Response:
    # Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says.
    folder = current_app.static_folder or "static"
    return send_from_directory(
        folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86_400
    )

from dataclasses import dataclass

from application.ports import Clock
from domain.access import AccessPolicy
from domain.catalog import Plan
from domain.user import User


@dataclass(frozen=True)
class GetPlanInForceCommand:
    user: User  # as loaded for this request, with their subscriptions


class GetPlanInForce:
    """The plan a signed-in user's access comes from now, for the badge beside their
    name; None when nothing is granted.

    Rules: the access policy's (a subscription to a price of the catalog, by its status,
    with the past-due grace); of two plans granted at once, the higher ranked. It reads
    nothing: the caller hands over the user it loaded for this request.
    """

    def __init__(self, clock: Clock, policy: AccessPolicy) -> None:
        self._clock = clock
        self._policy = policy

    def execute(self, command: GetPlanInForceCommand) -> Plan | None:
        return self._policy.plan_in_force(command.user, self._clock.now())

"""The nav's plan badge: the plan a user reads under now, on the use case's clock."""

from datetime import timedelta

from application.use_cases.get_plan_in_force import GetPlanInForce, GetPlanInForceCommand
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World
from tests.unit.application.notes_world import TWO_PLANS, reader


def test_names_the_plan_of_a_paying_reader_and_none_for_the_others(world: World) -> None:
    badge = GetPlanInForce(world.clock, TWO_PLANS)
    pro = reader(world, "price_pro")
    late = reader(world, "price_basic", status=SubscriptionStatus.PAST_DUE)
    nobody = reader(world)

    plan = badge.execute(GetPlanInForceCommand(pro))
    assert plan is not None and plan.name == "Pro"
    assert badge.execute(GetPlanInForceCommand(nobody)) is None
    assert badge.execute(GetPlanInForceCommand(late)) is not None  # in its grace
    world.clock.advance(timedelta(days=4))
    assert badge.execute(GetPlanInForceCommand(late)) is None  # past it

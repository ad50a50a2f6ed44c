from application.use_cases.log_out import LogOut, LogOutCommand
from tests.unit.application.conftest import World


def test_log_out_raises_the_session_generation_of_the_user(world: World) -> None:
    ann = world.register()
    assert world.stored(ann.id).session_generation == 0

    LogOut(world.uow).execute(LogOutCommand(ann.id))
    LogOut(world.uow).execute(LogOutCommand(ann.id))

    assert world.stored(ann.id).session_generation == 2


def test_log_out_of_an_unknown_user_changes_nothing(world: World) -> None:
    ann = world.register()
    LogOut(world.uow).execute(LogOutCommand("no-such-user"))
    assert world.stored(ann.id).session_generation == 0

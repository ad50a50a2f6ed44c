import logging
from dataclasses import fields

import pytest

from application.use_cases.read_note import LockedNote, OpenNote, ReadNoteCommand
from domain.errors import NoteNotFound, UserNotFound
from domain.subscription import SubscriptionStatus
from tests.unit.application.conftest import World
from tests.unit.application.notes_world import (
    BASIC_NOTE,
    FREE_NOTE,
    ORPHAN_NOTE,
    PRO_NOTE,
    TWO_PLANS,
    read_note,
    reader,
)


def test_a_free_note_is_open_to_a_signed_out_visitor(world: World) -> None:
    assert read_note(world).execute(ReadNoteCommand("free-note")) == OpenNote(FREE_NOTE)


def test_a_free_note_is_open_to_a_signed_in_user_without_a_plan(world: World) -> None:
    ann = reader(world)
    assert read_note(world).execute(ReadNoteCommand("free-note", ann.id)) == OpenNote(FREE_NOTE)


def test_a_paid_note_is_locked_for_a_visitor_with_what_the_locked_page_needs(
    world: World,
) -> None:
    locked = read_note(world, TWO_PLANS).execute(ReadNoteCommand("basic-note"))

    assert isinstance(locked, LockedNote)
    assert (locked.title, locked.summary) == ("Basic note", "For Basic and Pro.")
    assert locked.opening == "The first paragraph of basic."
    assert [plan.name for plan in locked.plans] == ["Basic", "Pro"]
    assert not locked.signed_in and not locked.subscribed
    assert all("secret" not in str(getattr(locked, f.name)) for f in fields(locked))


def test_a_paying_subscriber_of_the_one_plan_reads_every_paid_note(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)
    use_case = read_note(world)
    for note in (BASIC_NOTE, PRO_NOTE):
        assert use_case.execute(ReadNoteCommand(note.slug, ann.id)) == OpenNote(note)


def test_the_one_plan_is_what_a_locked_note_offers(world: World) -> None:
    ann = reader(world)
    locked = read_note(world).execute(ReadNoteCommand("pro-note", ann.id))
    assert isinstance(locked, LockedNote)
    assert [plan.name for plan in locked.plans] == ["Premium"]
    assert locked.signed_in and not locked.subscribed


def test_a_basic_subscriber_reads_basic_notes_but_not_pro_ones(world: World) -> None:
    ann = reader(world, "price_basic")
    use_case = read_note(world, TWO_PLANS)

    assert use_case.execute(ReadNoteCommand("basic-note", ann.id)) == OpenNote(BASIC_NOTE)
    locked = use_case.execute(ReadNoteCommand("pro-note", ann.id))
    assert isinstance(locked, LockedNote)
    assert [plan.name for plan in locked.plans] == ["Pro"]
    assert locked.subscribed  # changing plan, not buying a first one


def test_a_pro_subscriber_reads_basic_and_pro_notes(world: World) -> None:
    ann = reader(world, "price_pro")
    use_case = read_note(world, TWO_PLANS)
    for note in (BASIC_NOTE, PRO_NOTE):
        assert use_case.execute(ReadNoteCommand(note.slug, ann.id)) == OpenNote(note)


def test_a_subscription_that_grants_nothing_opens_nothing(world: World) -> None:
    canceled = reader(world, "price_pro", status=SubscriptionStatus.CANCELED)
    foreign = reader(world, "price_newsletter")
    use_case = read_note(world, TWO_PLANS)
    for user in (canceled, foreign):
        assert isinstance(use_case.execute(ReadNoteCommand("basic-note", user.id)), LockedNote)


def test_a_note_asking_for_what_no_plan_includes_is_locked_for_everyone_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    pro = reader(world, "price_pro")
    caplog.set_level(logging.WARNING)

    locked = read_note(world, TWO_PLANS).execute(ReadNoteCommand("orphan-note", pro.id))

    assert isinstance(locked, LockedNote)
    assert locked.plans == ()
    assert locked.opening == "Asks for what no plan includes."
    assert any(
        "orphan-note" in r.getMessage() and "notes.enterprise" in r.getMessage()
        for r in caplog.records
    )
    assert ORPHAN_NOTE.requires == "notes.enterprise"


@pytest.mark.parametrize("slug", ["no-such-note", "", "FREE-NOTE", "../free-note", "free-note.md"])
def test_an_unknown_slug_is_not_found(world: World, slug: str) -> None:
    with pytest.raises(NoteNotFound):
        read_note(world).execute(ReadNoteCommand(slug))


def test_a_stale_user_id_on_a_paid_note_is_user_not_found(world: World) -> None:
    with pytest.raises(UserNotFound):
        read_note(world).execute(ReadNoteCommand("pro-note", "no-such-user"))

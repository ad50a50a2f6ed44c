from application.use_cases.list_notes import ListNotesCommand, NoteListing
from tests.unit.application.conftest import World
from tests.unit.application.notes_world import TWO_PLANS, list_notes, reader


def by_slug(listings: object) -> dict[str, NoteListing]:
    assert isinstance(listings, list)
    return {listing.slug: listing for listing in listings}


def test_a_visitor_sees_every_note_with_the_plans_that_open_it(world: World) -> None:
    index = list_notes(world, TWO_PLANS).execute(ListNotesCommand())

    assert not index.signed_in
    notes = by_slug(index.notes)
    assert set(notes) == {"free-note", "basic-note", "pro-note", "orphan-note"}
    assert notes["free-note"].is_free and notes["free-note"].readable
    assert [p.name for p in notes["basic-note"].plans] == ["Basic", "Pro"]
    assert [p.name for p in notes["pro-note"].plans] == ["Pro"]
    assert notes["orphan-note"].plans == ()
    assert [n.slug for n in index.notes if n.readable] == ["free-note"]


def test_free_notes_come_first_then_by_title(world: World) -> None:
    index = list_notes(world, TWO_PLANS).execute(ListNotesCommand())
    assert [n.slug for n in index.notes] == ["free-note", "basic-note", "orphan-note", "pro-note"]


def test_a_subscriber_sees_which_notes_their_plan_opens(world: World) -> None:
    basic = reader(world, "price_basic")
    pro = reader(world, "price_pro")
    use_case = list_notes(world, TWO_PLANS)

    basic_index = by_slug(use_case.execute(ListNotesCommand(basic.id)).notes)
    pro_index = by_slug(use_case.execute(ListNotesCommand(pro.id)).notes)

    assert {s for s, n in basic_index.items() if n.readable} == {"free-note", "basic-note"}
    assert {s for s, n in pro_index.items() if n.readable} == {
        "free-note",
        "basic-note",
        "pro-note",
    }


def test_the_one_plan_opens_every_note_a_plan_includes(world: World) -> None:
    ann = world.register()
    _, events = world.subscribe(ann)
    world.deliver(events)

    index = list_notes(world).execute(ListNotesCommand(ann.id))

    assert index.signed_in
    readable = {n.slug for n in index.notes if n.readable}
    assert readable == {"free-note", "basic-note", "pro-note"}  # never the orphan

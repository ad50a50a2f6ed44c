"""Notes on the fakes: a library, readers with subscriptions to one plan or another."""

from dataclasses import replace

from adapters.memory import InMemoryNoteLibrary
from application.use_cases.list_notes import ListNotes
from application.use_cases.read_note import ReadNote
from domain.access import AccessPolicy
from domain.catalog import Catalog, Interval, Plan, PlanPrice
from domain.notes import Note
from domain.user import User
from tests.unit.application.conftest import World
from tests.unit.builders import a_subscription

FREE_NOTE = Note("free-note", "Free note", "Everyone reads it.", "Open to all.\n\nMore.")
BASIC_NOTE = Note(
    "basic-note",
    "Basic note",
    "For Basic and Pro.",
    "# Heading\n\nThe first paragraph of basic.\n\nThe secret rest of basic.",
    requires="notes.basic",
)
PRO_NOTE = Note(
    "pro-note",
    "Pro note",
    "For Pro only.",
    "The first paragraph of pro.\n\nThe secret rest of pro.",
    requires="notes.pro",
)
ORPHAN_NOTE = Note(
    "orphan-note",
    "Orphan note",
    "Nobody sells it.",
    "Asks for what no plan includes.\n\nThe secret rest.",
    requires="notes.enterprise",
)
NOTES = (FREE_NOTE, BASIC_NOTE, PRO_NOTE, ORPHAN_NOTE)

BASIC = Plan(
    "basic",
    "Basic",
    frozenset({"notes.basic"}),
    (PlanPrice("basic_monthly", Interval.MONTH, 500, "usd", "price_basic"),),
    rank=0,
)
PRO = Plan(
    "pro",
    "Pro",
    frozenset({"notes.basic", "notes.pro"}),
    (PlanPrice("pro_monthly", Interval.MONTH, 1200, "usd", "price_pro"),),
    rank=1,
)
TWO_PLANS = AccessPolicy(Catalog((BASIC, PRO)))


def reader(world: World, subscribed_to: str | None = None, **subscription: object) -> User:
    """A registered user, with a subscription to `subscribed_to` (a price id) if given."""
    user = world.register(f"reader-{len(world.store.users)}@example.com")
    if subscribed_to is not None:
        sub = a_subscription(
            id=f"sub_{user.id}",
            price_id=subscribed_to,
            as_of=world.clock.now(),
            current_period_start=world.clock.now(),
            **subscription,
        )
        world.store.users[user.id] = replace(user, subscriptions={sub.id: sub})
    return world.stored(user.id)


def read_note(world: World, policy: AccessPolicy | None = None) -> ReadNote:
    return ReadNote(InMemoryNoteLibrary(NOTES), world.uow, world.clock, policy or world.policy)


def list_notes(world: World, policy: AccessPolicy | None = None) -> ListNotes:
    return ListNotes(InMemoryNoteLibrary(NOTES), world.uow, world.clock, policy or world.policy)

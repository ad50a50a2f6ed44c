"""The landing page's sample of notes: a couple of free ones, then paid ones, marked."""

from application.use_cases.list_notes import NoteIndex, NoteListing
from domain.catalog import single_plan
from entrypoints.flask_app.landing_page import LandingPage

CATALOG = single_plan("price_1")


def listing(slug: str, free: bool) -> NoteListing:
    plans = () if free else CATALOG.plans
    return NoteListing(slug, slug.title(), "", None if free else "notes.basic", plans, free)


def test_two_free_notes_then_paid_ones_up_to_four() -> None:
    notes = [listing(f"free-{i}", True) for i in range(3)]
    notes += [listing(f"paid-{i}", False) for i in range(5)]
    page = LandingPage.of(CATALOG, NoteIndex(notes, signed_in=False))
    assert [n.slug for n in page.sample] == ["free-0", "free-1", "paid-0", "paid-1"]
    assert (page.note_count, page.free_count) == (8, 3)
    assert page.first_free is not None and page.first_free.slug == "free-0"
    assert [card.name for card in page.pricing.plans] == ["Premium"]


def test_without_free_notes_the_sample_is_paid_and_nothing_is_offered_free() -> None:
    notes = [listing(f"paid-{i}", False) for i in range(2)]
    page = LandingPage.of(CATALOG, NoteIndex(notes, signed_in=True))
    assert [n.slug for n in page.sample] == ["paid-0", "paid-1"]
    assert page.first_free is None and page.free_count == 0

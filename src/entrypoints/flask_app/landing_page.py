"""The landing page's view model: what the product is, its plans with their prices (the
pricing page's, from the catalog as the provider resolved it) and a sample of notes."""

from dataclasses import dataclass

from application.use_cases.list_notes import NoteIndex, NoteListing
from domain.catalog import Catalog
from entrypoints.flask_app.pricing_page import PricingPage

SAMPLE_FREE = 2  # free notes shown, readable by anyone
SAMPLE_SIZE = 4  # notes shown in all: the rest are paid ones, marked locked or open


@dataclass(frozen=True)
class LandingPage:
    pricing: PricingPage
    sample: tuple[NoteListing, ...]
    note_count: int
    free_count: int
    first_free: NoteListing | None  # what "Read a free note" opens

    @classmethod
    def of(cls, catalog: Catalog, index: NoteIndex) -> "LandingPage":
        free = [note for note in index.notes if note.is_free]
        paid = [note for note in index.notes if not note.is_free]
        shown = free[:SAMPLE_FREE]
        shown += paid[: SAMPLE_SIZE - len(shown)]
        return cls(
            pricing=PricingPage.of(catalog),
            sample=tuple(shown),
            note_count=len(index.notes),
            free_count=len(free),
            first_free=free[0] if free else None,
        )

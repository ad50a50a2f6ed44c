"""Each port's implementations, as parametrized fixtures: one contract, every adapter."""

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from adapters.argon2_hasher import OWASP_MINIMUM, Argon2PasswordHasher
from adapters.memory import (
    FakePasswordHasher,
    InMemoryNoteLibrary,
    InMemoryStore,
    InMemoryUnitOfWork,
)
from adapters.note_files import FolderNoteLibrary
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports import NoteLibrary, PasswordHasher, UnitOfWork
from domain.notes import Note
from tests.support.notes import write_notes

NewUnitOfWork = Callable[[], UnitOfWork]
NewNoteLibrary = Callable[[Sequence[Note]], NoteLibrary]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def new_uow(request: pytest.FixtureRequest) -> NewUnitOfWork:
    """Makes units of work over one fresh, empty database (each call: a new transaction)."""
    if request.param == "memory":
        store = InMemoryStore()
        return lambda: InMemoryUnitOfWork(store)
    session_factory = request.getfixturevalue(f"{request.param}_session_factory")
    return lambda: SqlAlchemyUnitOfWork(session_factory)


NewHookedUnitOfWork = Callable[[Callable[[], None]], UnitOfWork]


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def new_hooked_uow(request: pytest.FixtureRequest) -> NewHookedUnitOfWork:
    """Like `new_uow`, each unit of work given `after_outbox_commit`."""
    if request.param == "memory":
        store = InMemoryStore()
        return lambda hook: InMemoryUnitOfWork(store, after_outbox_commit=hook)
    session_factory = request.getfixturevalue(f"{request.param}_session_factory")
    return lambda hook: SqlAlchemyUnitOfWork(session_factory, after_outbox_commit=hook)


@pytest.fixture(params=["fake", "argon2"])
def hasher(request: pytest.FixtureRequest) -> PasswordHasher:
    if request.param == "fake":
        return FakePasswordHasher()
    # The cheapest parameters it accepts: the contract is about behaviour, not cost.
    return Argon2PasswordHasher(OWASP_MINIMUM)


@pytest.fixture
def upgraded(hasher: PasswordHasher) -> PasswordHasher:
    """The same kind of hasher with newer parameters than `hasher`."""
    if isinstance(hasher, FakePasswordHasher):
        return FakePasswordHasher(version=hasher.version + 1)
    assert isinstance(hasher, Argon2PasswordHasher)
    parameters = hasher.parameters
    return Argon2PasswordHasher(
        type(parameters)(
            time_cost=parameters.time_cost + 1,
            memory_cost_kib=parameters.memory_cost_kib,
            parallelism=parameters.parallelism,
        )
    )


@pytest.fixture(params=["memory", "folder"])
def new_note_library(request: pytest.FixtureRequest, tmp_path: Path) -> NewNoteLibrary:
    """Makes a library holding the notes given (the folder one: as files an author writes)."""
    if request.param == "memory":
        return InMemoryNoteLibrary

    def in_folder(notes: Sequence[Note]) -> NoteLibrary:
        return FolderNoteLibrary(write_notes(tmp_path / "notes", list(notes)))

    return in_folder

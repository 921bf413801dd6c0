"""Answers of ``GET /api/v1/lessons`` kept in memory, reused only while the library is unchanged.

A school's library has a *generation* (``library_generations``, migration ``lessons_0004``),
which the database's triggers replace in the same transaction as every write a search could
show: a lesson or a version inserted, updated or deleted, an author renamed. A search reads the
generation first and then, on a miss, its rows; the answer is kept under that generation. Any
write committed since the generation was read changes it, so the next search of every process
(each keeps its own answers) misses and reads the rows again: a write is found on the next
search. Rows read after the generation are at least as new as it (each read sees every commit
made before it: SQLite reads hold no snapshot between statements, PostgreSQL's read committed
takes one per statement), so a kept answer is never older than its generation. Only a request
that has written nothing before its search may keep or reuse answers (the API's search is a
GET): rows not yet committed are under no generation.

What is kept is the rendered JSON (about 6.5 KB for a page of 20), per engine (one database):
the answers used last, :data:`KEPT_BYTES` at most.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, bindparam, column, table
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.direct_read import DirectReads

KEPT_BYTES = 8 * 1024 * 1024  # of answers kept per database and process

_GENERATIONS = table("library_generations", column("school_id"), column("generation"))
_GENERATION = select(_GENERATIONS.c.generation).where(
    _GENERATIONS.c.school_id == bindparam("school_id")
)


class _Answers:
    """The answers used last, each under the generation it was read at."""

    def __init__(self) -> None:
        self.kept: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self.size = 0

    def get(self, key: Hashable, generation: int) -> bytes | None:
        found = self.kept.get(key)
        if found is None or found[0] != generation:
            return None
        self.kept.move_to_end(key)
        return found[1]

    def put(self, key: Hashable, generation: int, answer: bytes) -> None:
        old = self.kept.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        if len(answer) > KEPT_BYTES // 4:
            return
        self.kept[key] = (generation, answer)
        self.size += len(answer)
        while self.size > KEPT_BYTES:
            _key, (_generation, dropped) = self.kept.popitem(last=False)
            self.size -= len(dropped)


_answers: WeakKeyDictionary[Engine, _Answers] = WeakKeyDictionary()


async def library_generation(
    session: AsyncSession, school_id: int, reads: DirectReads | None = None
) -> int:
    """The current generation of the school's library (0 before its first write): read
    straight on the driver with ``reads`` (``eschool.direct_read``: on SQLite a connection
    that sees every commit made before the read), else through ``session``."""
    found = await direct_read.first(session, _GENERATION, {"school_id": school_id}, reads)
    return int(found[0]) if found is not None else 0


def _kept(session: AsyncSession) -> _Answers:
    engine = session.get_bind()
    engine = engine if isinstance(engine, Engine) else engine.engine
    answers = _answers.get(engine)
    if answers is None:
        answers = _answers[engine] = _Answers()
    return answers


def kept_answer(session: AsyncSession, key: Hashable, generation: int) -> bytes | None:
    """The answer kept for ``key`` if it was read at ``generation``."""
    return _kept(session).get(key, generation)


def keep_answer(session: AsyncSession, key: Hashable, generation: int, answer: bytes) -> None:
    """Keep ``answer`` for ``key``, read at ``generation`` (read before its rows)."""
    _kept(session).put(key, generation, answer)

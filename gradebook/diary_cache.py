"""The diary's built answers (the week, the term summary, what is new, the calendar feed) kept
as bytes per version of the diary; a request reads the version, and builds only on a miss.

A diary shows what the journals of the pupil's courses show, so its version is made of the
journal revisions (:mod:`gradebook.journal_revision`, bumped by database triggers in the
writing transaction): the revision of each course of the pupil's classes (marks, attendance,
lessons, homework, term marks, teachers) and the school's own (names, enrolments, subjects,
terms, work types, file names). They are read in one statement with the reader's right to
read the diary and the pupil's name — on every request, or on PostgreSQL kept by the process
until a notice says they changed (:mod:`gradebook.diary_versions`) — so a write committed by
any worker is seen by the next read in every worker (another worker's once its notice has
arrived): a changed revision is a new key, and the entry of the old one is never answered
again. The list of courses is part of the key (a course added,
moved or removed changes it). What else an answer depends on (the dates asked for, today,
the language, the term, the last visit) is in its key too. Answers never depend on who reads
them beyond their right to: the same bytes for the pupil, a parent, the admin or the tutor.
Their tags are hashes of the bytes, kept with them (:func:`eschool.conditional.body_etag`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pydantic_core
from sqlalchemy import BindParameter, and_, bindparam
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool import direct_read
from eschool.conditional import body_etag
from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from eschool.i18n import current_language
from eschool.i18n import gettext as _
from eschool.models import Enrolment, Role, User
from gradebook import diary, diary_news, diary_summary
from gradebook.diary import DiaryPupil, may_read
from gradebook.diary_versions import KeptVersions
from gradebook.journal_cache import JournalCache, RenderedJournal
from gradebook.journal_revision import SCHOOL_WIDE, JournalRevision
from gradebook.models import Course

# Built answers kept per process: weeks, summaries and news (~10 KB each), and feeds (~130 KB
# each; a calendar app polling an unchanged feed gets 304 without it).
CACHE_ENTRIES = 1024
FEED_CACHE_ENTRIES = 64

_PUPIL: BindParameter[int] = bindparam("pupil_id")
_SCHOOL: BindParameter[int] = bindparam("school_id")

_school_revision = aliased(JournalRevision)


def _version_query(role: str) -> Any:
    """One row per course of the pupil's classes (one with no course when there is none):
    the pupil's name, the school's revision, the course and its revision; no row when an
    actor of ``role`` may not read the diary (parameters ``pupil_id``, ``actor_id``,
    ``school_id``)."""
    return (
        select(User.name, _school_revision.revision, Course.id, JournalRevision.revision)
        .select_from(User)
        .outerjoin(
            _school_revision,
            and_(
                col(_school_revision.school_id) == User.school_id,
                col(_school_revision.course_id) == SCHOOL_WIDE,
            ),
        )
        .outerjoin(Enrolment, col(Enrolment.pupil_id) == User.id)
        .outerjoin(Course, col(Course.class_id) == Enrolment.class_id)
        .outerjoin(
            JournalRevision,
            and_(
                col(JournalRevision.school_id) == Course.school_id,
                col(JournalRevision.course_id) == Course.id,
            ),
        )
        .where(
            col(User.id) == _PUPIL,
            col(User.school_id) == _SCHOOL,
            User.role == Role.pupil,
            may_read(role),
        )
        .order_by(col(Course.id))
    )


# The version's statement per reader role (public for the query-plan test).
VERSION_BY_ROLE: dict[str, Any] = {role: _version_query(role) for role in Role}


@dataclass(frozen=True)
class DiaryVersion:
    """The pupil whose diary is read and the version of everything their diary shows."""

    pupil: DiaryPupil
    parts: tuple[Any, ...]

    def key(self, what: str, *depends: object) -> tuple[Any, ...]:
        """The cache key of one answer: what it is, the version, what else it depends on
        (and the language it is written in)."""
        return (what, *self.parts, *depends, current_language())


async def diary_version(
    session: AsyncSession,
    *,
    actor_id: int,
    role: str,
    school_id: int,
    pupil_id: int,
    reads: DirectReads | None = None,
    kept: KeptVersions | None = None,
) -> DiaryVersion:
    """The version of the pupil's diary for a reader who may read it (one statement, straight
    on the driver with ``reads``; none when ``kept`` has it: :mod:`gradebook.diary_versions`);
    404 as :func:`gradebook.diary.diary_pupil` for anyone else."""
    if role == Role.pupil and actor_id != pupil_id:
        raise NotFound(_("No such pupil."))
    key = (role, actor_id, school_id, pupil_id)
    found = None if kept is None else kept.get(key)
    if found is None:
        since = 0 if kept is None else kept.generation()
        found = await _read_version(session, key, reads)
        if kept is not None:
            kept.keep(key, found, school_id=school_id, since=since)
    name, school_revision, courses = found
    pupil = DiaryPupil(id=pupil_id, name=name, school_id=school_id)
    return DiaryVersion(pupil, ("diary", pupil_id, school_id, school_revision, courses))


async def _read_version(
    session: AsyncSession, key: tuple[str, int, int, int], reads: DirectReads | None
) -> tuple[str, int, tuple[tuple[int, int], ...]]:
    """The pupil's name, the school's revision and the revision of each course of the pupil's
    classes, read for ``key`` (role, actor, school, pupil); 404 when the actor may not."""
    role, actor_id, school_id, pupil_id = key
    query = VERSION_BY_ROLE.get(role)
    params = {"pupil_id": pupil_id, "actor_id": actor_id, "school_id": school_id}
    rows = [] if query is None else await direct_read.all_rows(session, query, params, reads)
    if not rows:
        raise NotFound(_("No such pupil."))
    name, school_revision = rows[0][0], rows[0][1] or 0
    courses = tuple((course_id, revision or 0) for *_p, course_id, revision in rows if course_id)
    return name, school_revision, courses


async def version_for(
    session: AsyncSession,
    *,
    actor: User,
    pupil_id: int,
    reads: DirectReads | None = None,
    kept: KeptVersions | None = None,
) -> DiaryVersion:
    """:func:`diary_version` for a signed-in reader."""
    return await diary_version(
        session,
        actor_id=actor.id or 0,
        role=str(actor.role),
        school_id=actor.school_id,
        pupil_id=pupil_id,
        reads=reads,
        kept=kept,
    )


def json_bytes(data: Any) -> bytes:
    """Plain data as the API's compact JSON (what :func:`eschool.web.json_ok` sends)."""
    return pydantic_core.to_json(data, inf_nan_mode="null")


async def cached(
    cache: JournalCache, key: tuple[Any, ...], build: Callable[[], Awaitable[bytes]]
) -> tuple[bytes, str]:
    """The answer kept for ``key`` and its tag, else built by ``build()`` (and kept)."""
    found = cache.get(key)
    if found is None:
        body = await build()
        found = RenderedJournal(body=body, head={"etag": body_etag(body)})
        cache.put(key, found)
    return found.body, found.head["etag"]


@dataclass(frozen=True)
class DiaryCaches:
    """The process's kept diary answers: the JSON ones, and the calendar feeds; its reads
    straight on the driver, for the version read on every request, and its kept versions
    (PostgreSQL)."""

    answers: JournalCache
    feeds: JournalCache
    reads: DirectReads | None = None
    versions: KeptVersions | None = None


def cache_of(state: Any) -> DiaryCaches:
    """The process's diary caches, kept on the app's ``state`` (made on first use)."""
    caches = getattr(state, "diary_caches", None)
    if caches is None:
        caches = DiaryCaches(
            JournalCache(CACHE_ENTRIES),
            JournalCache(FEED_CACHE_ENTRIES),
            getattr(state, "direct_reads", None),
            getattr(state, "diary_versions", None),
        )
        state.diary_caches = caches
    return caches


@dataclass(frozen=True)
class DiaryAnswer:
    """One answer of the diary: its key, and how it is built on a miss."""

    cache: JournalCache
    key: tuple[Any, ...]
    build: Callable[[], Awaitable[bytes]]

    async def rendered(self) -> tuple[bytes, str]:
        """The answer's bytes and their tag (a hash of them): kept ones, else built (and
        kept)."""
        return await cached(self.cache, self.key, self.build)

    async def body(self) -> bytes:
        """The answer's bytes."""
        return (await self.rendered())[0]


async def week_answer(
    session: AsyncSession,
    caches: DiaryCaches,
    *,
    actor: User,
    pupil_id: int,
    start: date,
    end: date,
    version: DiaryVersion | None = None,
) -> DiaryAnswer:
    """The diary between two dates (:func:`gradebook.diary.diary_week`); ``version`` when the
    caller has read it already."""
    diary.check_range(start, end)
    version = version or await version_for(
        session, actor=actor, pupil_id=pupil_id, reads=caches.reads, kept=caches.versions
    )

    async def build() -> bytes:
        return json_bytes(
            await diary.diary_week(session, actor=actor, pupil_id=pupil_id, start=start, end=end)
        )

    return DiaryAnswer(caches.answers, version.key("week", start, end), build)


async def summary_answer(
    session: AsyncSession,
    caches: DiaryCaches,
    *,
    actor: User,
    pupil_id: int,
    term_id: int | None,
    today: date,
    version: DiaryVersion | None = None,
) -> DiaryAnswer:
    """The pupil's term per subject (:func:`gradebook.diary_summary.diary_summary`); the
    current term and the attendance counted up to today depend on today."""
    version = version or await version_for(
        session, actor=actor, pupil_id=pupil_id, reads=caches.reads, kept=caches.versions
    )

    async def build() -> bytes:
        return json_bytes(
            await diary_summary.diary_summary(
                session, actor=actor, pupil_id=pupil_id, term_id=term_id, today=today
            )
        )

    return DiaryAnswer(caches.answers, version.key("summary", term_id, today), build)


async def news_answer(
    session: AsyncSession,
    caches: DiaryCaches,
    *,
    actor: User,
    pupil_id: int,
    version: DiaryVersion | None = None,
) -> DiaryAnswer:
    """What is new since the reader's last visit (:func:`gradebook.diary_news.diary_news`),
    kept per last visit (without one, per minute: the news of the last 7 days)."""
    version = version or await version_for(
        session, actor=actor, pupil_id=pupil_id, reads=caches.reads, kept=caches.versions
    )
    visit = await diary_news.last_visit(
        session, viewer_id=actor.id or 0, pupil_id=pupil_id, reads=caches.reads
    )
    since = diary_news.default_since() if visit is None else visit

    async def build() -> bytes:
        return json_bytes(
            await diary_news.diary_news(session, actor=actor, pupil_id=pupil_id, since=since)
        )

    key = version.key("news", since.isoformat())
    return DiaryAnswer(caches.answers, key, build)


async def feed_answer(
    session: AsyncSession,
    caches: DiaryCaches,
    *,
    version: DiaryVersion,
    today: date,
    tz: str | None,
) -> DiaryAnswer:
    """The pupil's calendar feed (:func:`gradebook.diary.feed_text`); its window depends on
    the school's terms (the version) and today."""
    pupil = version.pupil

    async def build() -> bytes:
        return (await diary.feed_text(session, pupil=pupil, today=today, tz=tz)).encode()

    return DiaryAnswer(caches.feeds, version.key("ics", today, tz), build)


def parsed(body: bytes) -> Any:
    """A kept answer as fresh plain data (for the diary page)."""
    return json.loads(body)

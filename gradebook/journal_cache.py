"""The journal served from its revision: a tag known before building (304 when the client has
it) and the rendered JSON kept per (course, term, revisions, access, language, day).

A journal is what the school reads most and changes least between two reads. Its revisions
(:mod:`gradebook.journal_revision`) are read from the database on every request, in the same
statement as the actor's access, so a write committed by any worker is seen by the next read
everywhere: a new revision is a new key, and the old entry is never answered again. The cache
holds bytes, never live objects, and is bounded (least recently used out).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.direct_read import DirectReads
from eschool.errors import NotFound
from eschool.i18n import current_language
from eschool.i18n import gettext as _
from eschool.models import Term, User
from eschool.privacy.services import access_record
from gradebook import journal_grid, queries
from gradebook.journal_revision import journal_key

CACHE_ENTRIES = 256  # rendered journals kept per process (a large one is ~150 KB)
PAGE_ENTRIES = 64  # whole pages (the rendered journal and ~20 KB of page around it)

# What the page's shell (title, toolbar, pickers) reads of the journal; the grid itself is
# drawn from the JSON embedded in the page.
HEAD_KEYS = ("course", "term", "scale", "access", "work_types")

# JSON that may stand inside a <script> element as it is (what Jinja's |tojson does), and is
# still the same JSON for the API.
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


@dataclass(frozen=True)
class RenderedJournal:
    """A journal rendered once: its JSON (safe inside HTML) and what the page's shell shows."""

    body: bytes
    head: dict[str, Any]

    def script_json(self) -> Markup:
        """The JSON to embed in a ``<script type="application/json">`` element as it is."""
        return Markup(self.body.decode())  # noqa: S704  (HTML-safe by construction: _HTML_SAFE)


class JournalCache:
    """Rendered journals by version, least recently used out beyond ``entries``."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[Any, ...], RenderedJournal] = OrderedDict()

    def get(self, version: tuple[Any, ...]) -> RenderedJournal | None:
        """The journal rendered at ``version``, or None."""
        found = self._items.get(version)
        if found is not None:
            self._items.move_to_end(version)
        return found

    def put(self, version: tuple[Any, ...], rendered: RenderedJournal) -> None:
        """Keep ``rendered`` for ``version``."""
        self._items[version] = rendered
        self._items.move_to_end(version)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)


def render_journal(journal: dict[str, Any]) -> RenderedJournal:
    """The journal's compact JSON (HTML-safe) and its shell's part."""
    text = json.dumps(journal, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return RenderedJournal(
        body=text.translate(_HTML_SAFE).encode(),
        head={key: journal[key] for key in HEAD_KEYS},
    )


@dataclass(frozen=True)
class JournalVersion:
    """Which journal a request asks for, at which revision, as whom: known after two small
    queries, before anything is built."""

    course_id: int
    class_id: int
    term: Term
    access: str
    parts: tuple[Any, ...]  # the cache key; also what the tag is made from

    def tag_parts(self, actor: User, *extra: object) -> tuple[Any, ...]:
        """The tag's parts: the version, then who asks (and what else their copy shows)."""
        return (*self.parts, actor.id, actor.role, *extra)


class TermCache:
    """The terms journals were asked for, as read at a revision of the school (which every
    change of its terms bumps): ``(school, revision, term asked, today) → term``, bounded."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[Any, ...], Term] = OrderedDict()

    async def term_for(
        self,
        session: AsyncSession,
        *,
        school_id: int,
        revision: int,
        term_id: int | None,
        today: date,
    ) -> Term:
        """:func:`gradebook.queries.term_for` at the school's ``revision``: a detached copy
        read once per revision (its errors are never kept)."""
        key = (school_id, revision, term_id, today)
        found = self._items.get(key)
        if found is None:
            term = await queries.term_for(
                session, school_id=school_id, term_id=term_id, today=today
            )
            found = self._items[key] = Term.model_validate(term.model_dump())
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return found


async def journal_version(
    session: AsyncSession,
    *,
    actor: User,
    course_id: int,
    term_id: int | None,
    today: date,
    caches: JournalCaches | None = None,
    reads: DirectReads | None = None,
) -> JournalVersion:
    """The course's journal version for the actor: 404 as :func:`queries.course_get` for a
    course they may not open, as :func:`queries.term_for` for a term not of their school
    (with the process's ``caches`` and ``reads``, one statement read on the driver)."""
    key = await journal_key(
        session,
        actor_id=actor.id or 0,
        role=str(actor.role),
        school_id=actor.school_id,
        course_id=course_id,
        reads=reads,
    )
    if key is None or key.access is None:
        raise NotFound(_("No such course."))
    if caches is None:
        term = await queries.term_for(
            session, school_id=actor.school_id, term_id=term_id, today=today
        )
    else:
        term = await caches.terms.term_for(
            session,
            school_id=actor.school_id,
            revision=key.school_revision,
            term_id=term_id,
            today=today,
        )
    parts = (
        "journal",
        course_id,
        term.id,
        key.course_revision,
        key.school_revision,
        key.access,
        current_language(),
        today.isoformat(),
    )
    return JournalVersion(course_id, key.class_id, term, key.access, parts)


async def journal_record_read(
    session: AsyncSession, *, actor: User, version: JournalVersion, what: str = "journal"
) -> None:
    """The access record of a journal read (a 304 too: the reader sees the journal)."""
    await access_record(
        session,
        actor=actor,
        what=what,
        class_id=version.class_id,
        target_id=version.course_id,
        detail=f"term {version.term.id}",
    )


async def journal_rendered(
    session: AsyncSession,
    cache: JournalCache,
    *,
    actor: User,
    version: JournalVersion,
    today: date,
) -> RenderedJournal:
    """The journal at ``version``: from the cache, else built (and kept)."""
    found = cache.get(version.parts)
    if found is not None:
        return found
    journal = await journal_grid.journal_get(
        session, actor=actor, course_id=version.course_id, term_id=version.term.id, today=today
    )
    rendered = render_journal(journal)
    cache.put(version.parts, rendered)
    return rendered


@dataclass(frozen=True)
class JournalCaches:
    """What a process keeps of journals: rendered JSON by version, whole pages by their tag's
    parts (a page shows its version and who reads it, nothing else), terms by revision."""

    rendered: JournalCache
    pages: JournalCache
    terms: TermCache


def cache_of(state: Any) -> JournalCaches:
    """The process's journal caches, kept on the app's ``state`` (made on first use)."""
    caches = getattr(state, "journal_caches", None)
    if caches is None:
        caches = state.journal_caches = JournalCaches(
            JournalCache(), JournalCache(PAGE_ENTRIES), TermCache()
        )
    return caches

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

from eschool.errors import NotFound
from eschool.i18n import current_language
from eschool.i18n import gettext as _
from eschool.models import Term, User
from eschool.privacy.services import access_record
from gradebook import journal_grid, queries
from gradebook.journal_revision import journal_key

CACHE_ENTRIES = 256  # rendered journals kept per process (a large one is ~150 KB)

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


async def journal_version(
    session: AsyncSession, *, actor: User, course_id: int, term_id: int | None, today: date
) -> JournalVersion:
    """The course's journal version for the actor: 404 as :func:`queries.course_get` for a
    course they may not open, as :func:`queries.term_for` for a term not of their school."""
    key = await journal_key(
        session,
        actor_id=actor.id or 0,
        role=str(actor.role),
        school_id=actor.school_id,
        course_id=course_id,
    )
    if key is None or key.access is None:
        raise NotFound(_("No such course."))
    term = await queries.term_for(session, school_id=actor.school_id, term_id=term_id, today=today)
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


def cache_of(state: Any) -> JournalCache:
    """The process's journal cache, kept on the app's ``state`` (made on first use)."""
    cache = getattr(state, "journal_cache", None)
    if cache is None:
        cache = state.journal_cache = JournalCache()
    return cache

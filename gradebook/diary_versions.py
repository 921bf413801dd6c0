"""The diary versions each process keeps on PostgreSQL.

Every diary request (the week, the summary, the news, the feed) starts by reading the version
of the pupil's diary (:func:`gradebook.diary_cache.diary_version`): the reader's right to read
it, the pupil's name and the journal revisions of the pupil's courses and school. On
PostgreSQL that is a round trip, and a session and a pooled connection for it, on every
request, for rows that change with every mark but are read far more often. Each process keeps
the versions it read, by reader and pupil (and whose calendar links are whose, by the link's
digest: a calendar app's poll reads nothing else), and drops them as soon as they may have
changed:

- **Written by another process:** triggers on ``journal_revisions``, ``guardianships`` and
  ``diary_feeds`` (migration ``gradebook_0010``) send a notice on :data:`CHANNEL` when a change
  commits (the school's id; ``*`` for a guardianship, a link or a ``TRUNCATE``), and the sign-in
  notices of :mod:`eschool.auth_cache` (any update of a person: a name, a role, a school) are
  heard too; a connection of the process's own listens, and what they may concern is dropped
  as the notice arrives, milliseconds after the commit.
- **Written by this process:** a statement that may change a version (any write but the few
  tables no version reads: :data:`UNRELATED`) drops everything kept as it runs, before its
  transaction commits (every engine's ``before_cursor_execute``), and nothing is kept for
  :data:`HOLD_SECONDS` after it: a version read before the write's commit is never kept, so a
  request that wrote a mark is never followed here by an answer from what was kept before.

Nothing is kept or served while the listening connection is down (from its loss until it
listens again every request reads, and what was kept is dropped); a version read while a
notice arrived is not kept (it may predate the change); a kept version is read again after
:attr:`KeptVersions.max_age` seconds whatever happens. What stays open is the time a notice
takes from another process's commit to this process (a read served meanwhile is the one it
would have got just before that commit).

SQLite keeps nothing here: its read is local and takes microseconds.
"""

from __future__ import annotations

import re
import time
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from eschool import auth_cache
from eschool.kept_store import KeptStore
from eschool.notice_listener import NoticeListener

# The notices' channel (gradebook_0010), and the payload that means "every school".
CHANNEL = "eschool_journal"
EVERYONE = "*"
# The listening connection's name in ``pg_stat_activity``.
LISTENER_NAME = "eschool diary notices"
# After a write of this process, nothing is kept for this long (see the module).
HOLD_SECONDS = 2.0
# Tables whose writes change nothing kept: the access record, sign-in sessions and failures,
# diary visits, and what a live lesson writes all along (its log, observers' notes) and the
# notices sent to people: else a process serving live lessons would hardly ever keep a version.
UNRELATED = frozenset(
    {
        "privacy_access_log",
        "privacy_audit",
        "auth_sessions",
        "login_failures",
        "diary_visits",
        "live_events",
        "live_notes",
        "notifications",
    }
)
_TARGET = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "WITH", "MERGE", "ALTER", "DROP")

# Every keeper of the process, told of the writes of every engine (see watch_engines).
_KEEPERS: weakref.WeakSet[KeptVersions] = weakref.WeakSet()

# A version's: (role, actor id, school id, pupil id); a calendar link's: ("feed", its digest).
VersionKey = tuple[Any, ...]


class KeptVersions:
    """The process's kept diary versions (see the module). Made in the gradebook's lifespan by
    :meth:`for_engine`, listening once :meth:`start`\\ ed, until :meth:`close`."""

    def __init__(
        self,
        dsn: str,
        *,
        max_age: float = 60.0,
        size: int = 20_000,
        ping_every: float = 10.0,
        hold: float = HOLD_SECONDS,
    ) -> None:
        self.max_age = max_age
        self.hold = hold
        # By reader and pupil (or link), dropped by school.
        self._kept: KeptStore[VersionKey] = KeptStore(size)
        self._held_until = 0.0
        self._listener = NoticeListener(
            dsn,
            channels=(CHANNEL, auth_cache.CHANNEL),
            name=LISTENER_NAME,
            heard=self.heard,
            reset=self.forget_everyone,
            what="diary versions",
            ping_every=ping_every,
        )
        _KEEPERS.add(self)

    @classmethod
    def for_engine(cls, engine: AsyncEngine, *, max_age: float) -> KeptVersions | None:
        """The keeper for ``engine``'s database, keeping versions up to ``max_age`` seconds;
        None but on PostgreSQL (asyncpg), or when ``max_age`` is 0."""
        if engine.dialect.driver != "asyncpg" or max_age <= 0:
            return None
        watch_engines()
        url = engine.url.set(drivername="postgresql")
        return cls(url.render_as_string(hide_password=False), max_age=max_age)

    @property
    def serving(self) -> bool:
        """Whether kept versions are served (listening, and no write of this process held)."""
        return self._listener.listening and time.monotonic() >= self._held_until

    def __len__(self) -> int:
        return len(self._kept)

    def start(self) -> None:
        """Start listening (in the background: until it listens, nothing is served)."""
        self._listener.start()

    async def close(self) -> None:
        """Stop listening and drop everything kept."""
        await self._listener.close()
        self.forget_everyone()
        _KEEPERS.discard(self)

    def generation(self) -> int:
        """What :meth:`keep` is given back: the keeper's state before a read."""
        return self._kept.generation()

    def get(self, key: VersionKey) -> Any:
        """The version kept for ``key``, unless it is too old (or nothing is served now)."""
        kept = self._kept.get(key)
        if kept is None or not self._listener.listening:
            return None
        now = time.monotonic()
        if now < self._held_until:
            return None
        if now - kept.kept_at > self.max_age:
            self._kept.drop(key)
            return None
        return kept.value

    def keep(self, key: VersionKey, value: Any, *, school_id: int, since: int) -> None:
        """Keep ``value``, read for ``key`` after :meth:`generation` gave ``since``: unless
        something was dropped meanwhile or nothing is served now. The oldest go past the
        size."""
        if self.serving:
            self._kept.keep(key, value, group=school_id, since=since)

    def forget_school(self, school_id: int) -> None:
        """Drop the versions kept for ``school_id``'s pupils."""
        self._kept.forget_group(school_id)

    def forget_everyone(self) -> None:
        """Drop everything kept."""
        self._kept.forget_everyone()

    def wrote(self) -> None:
        """This process runs a write that may change a version: drop everything, and keep
        nothing for :attr:`hold` seconds (until it has surely committed or rolled back)."""
        self.forget_everyone()
        self._held_until = time.monotonic() + self.hold

    def heard(self, channel: str, payload: str) -> None:
        """A notice: of :data:`CHANNEL` (a school's id, or :data:`EVERYONE`), or of the
        sign-in channel (a person changed: everything)."""
        if channel != CHANNEL:
            self.forget_everyone()
            return
        try:
            school_id = int(payload)
        except ValueError:
            self.forget_everyone()
        else:
            self.forget_school(school_id)


def may_change_versions(statement: str) -> bool:
    """Whether ``statement`` may change a diary version: any write but to :data:`UNRELATED`
    tables."""
    head = statement.lstrip()[:8].upper()
    if not head.startswith(_WRITES):
        return False
    target = _TARGET.match(statement)
    return target is None or target.group(1).lower() not in UNRELATED


def _statement_run(
    _conn: Any,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    if _KEEPERS and may_change_versions(statement):
        for keeper in list(_KEEPERS):
            keeper.wrote()


def watch_engines() -> None:
    """Tell every keeper of the process of every engine's writes (see the module); once."""
    if not event.contains(Engine, "before_cursor_execute", _statement_run):
        event.listen(Engine, "before_cursor_execute", _statement_run)

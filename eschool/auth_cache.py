"""Who is signed in, kept by each process on PostgreSQL.

Every signed-in request starts by finding its session and user
(:func:`eschool.queries.auth_session_by_digest`). On PostgreSQL that is a round trip of its
own — the server's work for a statement and a system call each way on both sides — for rows
that change a few times in their life. Each process keeps the rows it read, by the secret's
digest, and drops them as soon as they may have changed:

- **Written by another process:** triggers on ``users`` and ``auth_sessions`` (migration
  ``eschool_0006``) send a notice on the channel :data:`CHANNEL` when an update or a delete of
  either commits (the user's id; ``*`` for a ``TRUNCATE``), and a connection of the process's
  own listens: the user's kept rows are dropped as the notice arrives, milliseconds after the
  commit.
- **Written by this process:** a statement that updates or deletes either table drops
  everything kept as it runs, before its transaction commits (every engine's
  ``before_cursor_execute``, :func:`watch_engine`): a request that signed out, changed a
  password or deactivated someone is never followed here by an answer from what was kept.

Nothing is kept or served while the listening connection is down (from its loss until it
listens again every request reads, and what was kept is dropped); a row read while a notice
arrived is not kept (it may predate the change); a session past its ``expires_at`` is never
served; a kept row is read again after :attr:`AuthCache.max_age` seconds whatever happens. The
caller makes objects of its own from a kept row for each request (a handler may change them).

SQLite keeps nothing here: its read is local and takes microseconds.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from eschool.kept_store import KeptStore
from eschool.notice_listener import NoticeListener

# The notices' channel, and the payload that means "anyone" (a TRUNCATE).
CHANNEL = "eschool_auth"
EVERYONE = "*"
# The listening connection's name in ``pg_stat_activity``.
LISTENER_NAME = "eschool sign-in notices"
# Statements that may change a kept row: their first word, and the tables they name.
_WRITES = ("UPDATE", "DELETE", "TRUNCATE", "WITH")
_TABLES = ("users", "auth_sessions")

# Every cache of the process, told of the writes of every engine it made (see watch_engine).
_CACHES: weakref.WeakSet[AuthCache] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class _Row:
    row: tuple[Any, ...]
    expires_at: datetime


class AuthCache:
    """The process's kept sign-in rows (see the module). Made in the application's lifespan
    by :meth:`for_engine`, listening once :meth:`start`\\ ed, until :meth:`close`."""

    def __init__(
        self,
        dsn: str,
        *,
        max_age: float = 60.0,
        size: int = 20_000,
        ping_every: float = 10.0,
    ) -> None:
        self.max_age = max_age
        # By the secret's digest, dropped by user.
        self._kept: KeptStore[str] = KeptStore(size)
        self._listener = NoticeListener(
            dsn,
            channels=(CHANNEL,),
            name=LISTENER_NAME,
            heard=lambda _channel, payload: self.heard(payload),
            reset=self.forget_everyone,
            what="sign-in cache",
            ping_every=ping_every,
        )
        _CACHES.add(self)

    @classmethod
    def for_engine(cls, engine: AsyncEngine, *, max_age: float, **options: Any) -> AuthCache | None:
        """The cache for ``engine``'s database, keeping rows up to ``max_age`` seconds; None
        but on PostgreSQL (asyncpg), or when ``max_age`` is 0 (``ESCHOOL_SIGN_IN_KEEP_SECONDS``)."""
        if engine.dialect.driver != "asyncpg" or max_age <= 0:
            return None
        url = engine.url.set(drivername="postgresql")
        watch_engine(engine)
        return cls(url.render_as_string(hide_password=False), max_age=max_age, **options)

    @property
    def serving(self) -> bool:
        """Whether kept rows are served (the listening connection is up)."""
        return self._listener.listening

    def __len__(self) -> int:
        return len(self._kept)

    def start(self) -> None:
        """Start listening (in the background: until it listens, nothing is served)."""
        self._listener.start()

    async def close(self) -> None:
        """Stop listening and drop everything kept."""
        await self._listener.close()
        self.forget_everyone()
        _CACHES.discard(self)

    def generation(self) -> int:
        """What :meth:`keep` is given back: the cache's state before a read."""
        return self._kept.generation()

    def get(self, digest: str, now: datetime) -> tuple[Any, ...] | None:
        """The row kept for ``digest``, unless it is too old or its session has expired by
        ``now`` (or nothing is served now)."""
        if not self._listener.listening:
            return None
        kept = self._kept.get(digest, touch=True)
        if kept is None:
            return None
        if kept.value.expires_at <= now or time.monotonic() - kept.kept_at > self.max_age:
            self._kept.drop(digest)
            return None
        row: tuple[Any, ...] = kept.value.row
        return row

    def keep(
        self, digest: str, row: tuple[Any, ...], *, user_id: int, expires_at: datetime, since: int
    ) -> None:
        """Keep ``row``, read for ``digest`` after :meth:`generation` gave ``since``: unless
        something was dropped meanwhile (it may be older than that change) or nothing is
        served now. The least recently used rows go past the size."""
        if self._listener.listening:
            self._kept.keep(digest, _Row(row, expires_at), group=user_id, since=since)

    def forget_user(self, user_id: int) -> None:
        """Drop the rows kept for ``user_id``'s sessions."""
        self._kept.forget_group(user_id)

    def forget_everyone(self) -> None:
        """Drop everything kept."""
        self._kept.forget_everyone()

    def heard(self, payload: str) -> None:
        """A notice of :data:`CHANNEL`: a user's id, or :data:`EVERYONE`."""
        try:
            user_id = int(payload)
        except ValueError:
            self.forget_everyone()
        else:
            self.forget_user(user_id)


def writes_people(statement: str) -> bool:
    """Whether ``statement`` may update or delete a person or a session (see the module)."""
    head = statement.lstrip()[:8].upper()
    return head.startswith(_WRITES) and any(table in statement for table in _TABLES)


def _statement_run(
    _conn: Any,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    if _CACHES and writes_people(statement):
        for cache in list(_CACHES):
            cache.forget_everyone()


def watch_engine(engine: AsyncEngine) -> None:
    """Tell every cache of the process of ``engine``'s writes to people and sessions (see the
    module); once per engine."""
    sync = engine.sync_engine
    if not event.contains(sync, "before_cursor_execute", _statement_run):
        event.listen(sync, "before_cursor_execute", _statement_run)

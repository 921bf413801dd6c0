"""A connection of the process's own that listens to PostgreSQL's notices.

What a process keeps from the database (who is signed in: :mod:`eschool.auth_cache`; a diary's
version: :mod:`gradebook.diary_versions`) is dropped when a notice says it changed. Such a keeper
may serve what it kept only while it hears every notice: :attr:`NoticeListener.listening` is
true from the moment its connection listens until that connection is lost, and ``reset`` is
called each time it starts or stops (what was kept may have missed a notice). A lost connection
is made again, waiting longer after each failure (up to 30 s); a connection lost without a word
(a network cut) is found by a ping every ``ping_every`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)


class NoticeListener:
    """Listens to ``channels`` on a connection named ``name`` (in ``pg_stat_activity``) from
    :meth:`start` until :meth:`close`; calls ``heard(channel, payload)`` for each notice."""

    def __init__(
        self,
        dsn: str,
        *,
        channels: tuple[str, ...],
        name: str,
        heard: Callable[[str, str], None],
        reset: Callable[[], None],
        what: str,
        ping_every: float = 10.0,
    ) -> None:
        self.channels = channels
        self.name = name
        self.ping_every = ping_every
        # Whether every notice is heard now (what was kept may be served).
        self.listening = False
        self._dsn = dsn
        self._heard = heard
        self._reset = reset
        self._what = what
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start listening (in the background: until it listens, :attr:`listening` is false)."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._listen())

    async def close(self) -> None:
        """Stop listening."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.listening = False

    async def connect(self) -> Any:
        """The listening connection: one of its own, outside the engine's pool (a pooled one
        would be reset and handed to requests)."""
        return await asyncpg.connect(self._dsn, server_settings={"application_name": self.name})

    async def _listen(self) -> None:
        """Listen on a connection, again after a loss (waiting longer each time)."""
        delay = 0.5
        while True:
            try:
                await self._listen_once()
                delay = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("%s: not listening (%s); every request reads", self._what, error)
            finally:
                self.listening = False
                self._reset()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    def _notice(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        self._heard(channel, payload)

    async def _listen_once(self) -> None:
        """Listen while one connection lasts; return when it is lost (or a ping fails)."""
        connection = await self.connect()
        try:
            lost = asyncio.get_running_loop().create_future()

            def _on_lost(_connection: Any) -> None:
                if not lost.done():
                    lost.set_result(None)

            connection.add_termination_listener(_on_lost)
            for channel in self.channels:
                await connection.add_listener(channel, self._notice)
            self._reset()
            self.listening = True
            while not lost.done():
                try:
                    await asyncio.wait_for(asyncio.shield(lost), self.ping_every)
                except TimeoutError:
                    # A connection lost without a word (a network cut) says so only when used.
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), self.ping_every)
        finally:
            self.listening = False
            try:
                await asyncio.wait_for(connection.close(), 1.0)
            except Exception:  # a lost connection, or one that will not say goodbye
                connection.terminate()

"""A database session opened only if a read needs one.

Many requests need no session at all: a WebSocket's handshake reads a little (who signs in,
whether a pupil is of the lesson's class), a signed-in request's look-up is a read on the
driver or kept (:mod:`eschool.direct_read`, :mod:`eschool.auth_cache`), and a new mark is
written on the driver (:mod:`eschool.driver_tx`); yet opening and closing a session that is
never used costs more than such a read (SQLAlchemy's session set-up, its registry, the close
through a greenlet). :func:`session_on_demand` hands out a stand-in that opens the real
session at its first use and closes it at the end of the block, if it was opened: the
WebSocket handshake's and every HTTP request's session (:class:`eschool.middleware.AuthMiddleware`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from sqlmodel.ext.asyncio.session import AsyncSession


class _OnDemand:
    """Stands for an :class:`AsyncSession`: the first attribute asked for opens it."""

    __slots__ = ("_maker", "session")

    def __init__(self, maker: Callable[[], AsyncSession]) -> None:
        self._maker = maker
        self.session: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        session = self.session
        if session is None:
            session = self.session = self._maker()
        return getattr(session, name)


@contextlib.asynccontextmanager
async def session_on_demand(maker: Callable[[], AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session of ``maker`` for the block, opened at its first use (if any) and closed on
    leaving the block, as ``async with maker() as session`` would."""
    stand_in = _OnDemand(maker)
    try:
        yield cast(AsyncSession, stand_in)
    finally:
        if stand_in.session is not None:
            # As ``async with`` closes it: in a task of its own, shielded from cancellation.
            await stand_in.session.__aexit__(None, None, None)


def info_of(session: AsyncSession) -> dict[str, Any]:
    """The session's ``info`` to read: of a stand-in not opened yet, what its session would
    start with (its maker's, when it has one), without opening it."""
    if isinstance(session, _OnDemand) and session.session is None:
        kw = getattr(session._maker, "kw", None)
        if isinstance(kw, dict):
            return kw.get("info") or {}
    return session.info

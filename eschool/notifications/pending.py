"""Notifications wait in the session until its transaction commits, then go to the delivery.

:func:`remember` keeps the rows :func:`eschool.notifications.notify` added in the session's
``info`` and listens to that session's ``after_commit`` (hand them to the delivery the app put
in the session's ``info``, see :data:`DELIVERY_KEY`) and ``after_soft_rollback`` (forget
them): a caller cannot forget to deliver, and a rolled back write delivers nothing. A session
made without a delivery (the CLI, a seed, a test's own session) stores the rows only; their
e-mail is sent by the outbox of a running server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.notifications.models import Notification

PENDING_KEY = "eschool.notifications.pending"
WATCHED_KEY = "eschool.notifications.watched"
# Put by the notifications lifespan into the app's sessionmaker ``info``: every request's
# session (and every session made by that sessionmaker) carries it.
DELIVERY_KEY = "eschool.notifications.delivery"


@dataclass(frozen=True, slots=True)
class Committed:
    """A notification that is in the database: who gets it, and whether an e-mail is due."""

    id: int
    user_id: int
    email_state: str | None


class Receiver(Protocol):
    def committed(self, items: list[Committed]) -> None:
        """Take notifications just committed (called inside the commit: must not block)."""


@dataclass(slots=True)
class _Waiting:
    row: Notification
    user_id: int
    email_state: str | None


def remember(session: AsyncSession, rows: list[Notification]) -> None:
    """Deliver ``rows`` once ``session`` commits (or never, if it rolls back)."""
    sync = session.sync_session
    waiting: list[_Waiting] = sync.info.setdefault(PENDING_KEY, [])
    waiting.extend(_Waiting(row, row.user_id, row.email_state) for row in rows)
    if not sync.info.get(WATCHED_KEY):
        sync.info[WATCHED_KEY] = True
        event.listen(sync, "after_commit", _after_commit)
        event.listen(sync, "after_soft_rollback", _after_soft_rollback)


def _after_commit(sync: Session) -> None:
    waiting: list[_Waiting] = sync.info.pop(PENDING_KEY, [])
    committed = []
    for item in waiting:
        # The identity, not row.id: reading an attribute could load it again (a session
        # that expires on commit), and a row of a rolled back savepoint has none.
        state = inspect(item.row)
        if state.persistent and state.identity:
            committed.append(Committed(int(state.identity[0]), item.user_id, item.email_state))
    receiver: Any = sync.info.get(DELIVERY_KEY)
    if committed and receiver is not None:
        receiver.committed(committed)


def _after_soft_rollback(sync: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        return  # a savepoint: its rows are dropped at commit (they have no identity)
    sync.info.pop(PENDING_KEY, None)

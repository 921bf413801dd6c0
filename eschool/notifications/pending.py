"""Notifications wait in the session until its transaction commits, then go to the delivery.

:func:`remember` keeps the notifications :func:`eschool.notifications.notify` inserted in the
session's ``info``; every session's ``after_commit`` hands them to the delivery the app put in
the session's ``info`` (see :data:`DELIVERY_KEY`) and its ``after_soft_rollback`` forgets them
(those of a rolled back savepoint only, when it is one): a caller cannot forget to deliver,
and a rolled back write delivers nothing. The two listeners are the ``Session`` class's, put
there by the first :func:`remember` of the process: listening on each session cost more than
the rest of storing a notification. A session made without a delivery (the
CLI, a seed, a test's own session) stores the rows only; their e-mail is sent by the outbox
of a running server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

PENDING_KEY = "eschool.notifications.pending"
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
    item: Committed
    # The innermost transaction (a savepoint, or the session's) the row was inserted in.
    transaction: SessionTransaction | None


def remember(session: AsyncSession, items: list[Committed]) -> None:
    """Deliver ``items`` (rows just inserted) once ``session`` commits (never on a rollback)."""
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    waiting: list[_Waiting] = sync.info.setdefault(PENDING_KEY, [])
    waiting.extend(_Waiting(item, transaction) for item in items)
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def _after_commit(sync: Session) -> None:
    if PENDING_KEY not in sync.info:
        return
    waiting: list[_Waiting] = sync.info.pop(PENDING_KEY, [])
    committed = [entry.item for entry in waiting]
    receiver: Any = sync.info.get(DELIVERY_KEY)
    if committed and receiver is not None:
        receiver.committed(committed)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(sync: Session, previous: SessionTransaction) -> None:
    if PENDING_KEY not in sync.info:
        return
    if not previous.nested:
        sync.info.pop(PENDING_KEY, None)
        return
    # A savepoint: forget what was inserted inside it (its rows are gone).
    waiting: list[_Waiting] = sync.info.get(PENDING_KEY, [])
    waiting[:] = [entry for entry in waiting if not _inside(entry.transaction, previous)]

"""The e-mail outbox: notifications whose ``email_state`` says an e-mail is due.

Every server process runs it; a row (or a person's digest) is claimed with a conditional
UPDATE before it is sent, so two workers never send the same e-mail, and a claim left by a
process that died is taken over after :data:`CLAIM_SECONDS`. A failure to send puts the row
back with the next try ``notify_retry_seconds × 2^(attempts-1)`` later (at most
:data:`MAX_RETRY_SECONDS`), and gives up after :data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import SessionMaker
from eschool.models import User
from eschool.notifications.mail import Mailer
from eschool.notifications.models import (
    EMAIL_DIGEST,
    EMAIL_FAILED,
    EMAIL_PENDING,
    EMAIL_SENDING,
    EMAIL_SENT,
    Notification,
)
from eschool.notifications.present import digest_email, language_of, single_email
from eschool.timeutil import utcnow

log = logging.getLogger("eschool.notifications")

EMAIL_DIGEST_SENDING = "dsending"
CLAIM_SECONDS = 600
MAX_ATTEMPTS = 8
MAX_RETRY_SECONDS = 6 * 3600
BATCH = 50


@dataclass(frozen=True)
class Outbox:
    """What sending needs: the database, the SMTP server, links' base and the retry pace."""

    sessionmaker: SessionMaker
    mailer: Mailer
    base_url: str = ""
    retry_seconds: float = 30.0

    def _retry_at(self, attempts: int, now: datetime) -> datetime:
        delay = min(self.retry_seconds * 2 ** max(0, attempts - 1), MAX_RETRY_SECONDS)
        return now + timedelta(seconds=delay)

    async def send_due(self) -> int:
        """Send every e-mail that is due now (single ones, then digests); returns how many went."""
        return await self._send_singles() + await self._send_digests()

    async def next_due(self) -> datetime | None:
        """When the next e-mail falls due (None: nothing is waiting with a time)."""
        async with self.sessionmaker() as session:
            result = await session.exec(
                select(func.min(Notification.email_next_at)).where(
                    col(Notification.email_state).in_(
                        [EMAIL_PENDING, EMAIL_SENDING, EMAIL_DIGEST, EMAIL_DIGEST_SENDING]
                    )
                )
            )
            return result.one()

    async def _send_singles(self) -> int:
        now = utcnow()
        sent = 0
        async with self.sessionmaker() as session:
            due = await session.exec(
                select(Notification.id, Notification.email_state, Notification.email_next_at)
                .where(
                    col(Notification.email_state).in_([EMAIL_PENDING, EMAIL_SENDING]),
                    col(Notification.email_next_at) <= now,
                )
                .order_by(col(Notification.email_next_at))
                .limit(BATCH)
            )
            for row_id, state, next_at in due.all():
                assert row_id is not None  # a selected row's primary key
                claim = now + timedelta(seconds=CLAIM_SECONDS)
                taken = await session.exec(
                    update(Notification)
                    .where(
                        col(Notification.id) == row_id,
                        col(Notification.email_state) == state,
                        col(Notification.email_next_at) == next_at,
                    )
                    .values(email_state=EMAIL_SENDING, email_next_at=claim)
                )
                await session.commit()
                if taken.rowcount == 1 and await self._send_one(session, row_id):
                    sent += 1
        return sent

    async def _send_one(self, session: AsyncSession, row_id: int) -> bool:
        found = await session.exec(
            select(Notification, User)
            .join(User, col(User.id) == Notification.user_id)
            .where(Notification.id == row_id)
        )
        pair = found.first()
        if pair is None:  # deleted since the claim (erased, purged)
            return False
        row, user = pair
        if not user.email or not user.active:
            row.email_state, row.email_next_at = None, None
            session.add(row)
            await session.commit()
            return False
        subject, body = single_email(row, lang=language_of(user.lang), base_url=self.base_url)
        ok = await self._deliver(user.email, subject, body)
        self._settle([row], ok=ok, back_to=EMAIL_PENDING)
        session.add(row)
        await session.commit()
        return ok

    async def _send_digests(self) -> int:
        now = utcnow()
        sent = 0
        async with self.sessionmaker() as session:
            due = [EMAIL_DIGEST, EMAIL_DIGEST_SENDING]
            people = await session.exec(
                select(Notification.user_id)
                .where(
                    col(Notification.email_state).in_(due),
                    col(Notification.email_next_at) <= now,
                )
                .group_by(col(Notification.user_id))
                .limit(BATCH)
            )
            for user_id in people.all():
                claim = now + timedelta(seconds=CLAIM_SECONDS)
                await session.exec(
                    update(Notification)
                    .where(
                        col(Notification.user_id) == user_id,
                        col(Notification.email_state).in_(due),
                        col(Notification.email_next_at) <= now,
                    )
                    .values(email_state=EMAIL_DIGEST_SENDING, email_next_at=claim)
                )
                await session.commit()
                # Ours are the rows with our claim's moment (another worker's have another).
                rows = await session.exec(
                    select(Notification)
                    .where(
                        Notification.user_id == user_id,
                        Notification.email_state == EMAIL_DIGEST_SENDING,
                        Notification.email_next_at == claim,
                    )
                    .order_by(col(Notification.id))
                )
                if await self._send_digest(session, user_id, list(rows.all())):
                    sent += 1
        return sent

    async def _send_digest(
        self, session: AsyncSession, user_id: int, rows: list[Notification]
    ) -> bool:
        if not rows:
            return False
        user = await session.get(User, user_id)
        if user is None or not user.email or not user.active:
            for row in rows:
                row.email_state, row.email_next_at = None, None
            session.add_all(rows)
            await session.commit()
            return False
        subject, body = digest_email(rows, lang=language_of(user.lang), base_url=self.base_url)
        ok = await self._deliver(user.email, subject, body)
        self._settle(rows, ok=ok, back_to=EMAIL_DIGEST)
        session.add_all(rows)
        await session.commit()
        return ok

    async def _deliver(self, to: str, subject: str, body: str) -> bool:
        try:
            await self.mailer.send(self.mailer.message(to=to, subject=subject, text=body))
        except Exception as exc:  # any failure: the row is retried, the cause only logged
            log.warning("notification e-mail not sent (%s); retrying later", type(exc).__name__)
            return False
        return True

    def _settle(self, rows: Sequence[Notification], *, ok: bool, back_to: str) -> None:
        now = utcnow()
        for row in rows:
            if ok:
                row.email_state, row.email_next_at = EMAIL_SENT, None
                continue
            row.email_attempts += 1
            if row.email_attempts >= MAX_ATTEMPTS:
                row.email_state, row.email_next_at = EMAIL_FAILED, None
            else:
                row.email_state = back_to
                row.email_next_at = self._retry_at(row.email_attempts, now)


async def digest_stamp(sessionmaker: SessionMaker) -> int:
    """Make every waiting digest row due now (the daily digest); returns how many."""
    async with sessionmaker() as session:
        result = await session.exec(
            update(Notification)
            .where(
                col(Notification.email_state) == EMAIL_DIGEST,
                col(Notification.email_next_at).is_(None),
            )
            .values(email_next_at=utcnow())
        )
        await session.commit()
        return int(result.rowcount or 0)

"""After the commit: the live push through the broker, the e-mail outbox, the daily work.

One :class:`Delivery` per app, made in the notifications lifespan and put on ``app.state`` and
in the sessionmaker's ``info`` (where :mod:`eschool.notifications.pending` finds it). Nothing
here may block or fail the write that caused a notification: the push is a task of its own,
e-mail goes through the outbox in the database, and every error is logged and retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.broker import Broker
from eschool.db import SessionMaker
from eschool.notifications.live import CHANNEL, push_message
from eschool.notifications.models import EMAIL_PENDING
from eschool.notifications.outbox import Outbox, digest_stamp
from eschool.notifications.pending import Committed
from eschool.notifications.services import notifications_purge
from eschool.timeutil import utcnow

log = logging.getLogger("eschool.notifications")

# A daily task a domain registers on ``app.state.notification_daily`` (classwork: assignments
# due tomorrow). It gets its own session and the school-local date, calls notify() and commits.
DailyTask = Callable[[AsyncSession, date], Awaitable[None]]
MAX_IDLE_SECONDS = 60.0
DAILY_CLAIM_SECONDS = 2 * 24 * 3600
# How long notifications are kept (the daily work deletes older ones).
KEEP_FOR = timedelta(days=365)
# Recipients per live push message (a commit for a whole school is sent in parts).
PUSH_USERS = 500


class Delivery:
    """Pushes committed notifications live, runs the e-mail outbox and the daily work."""

    def __init__(
        self,
        *,
        broker: Broker,
        sessionmaker: SessionMaker,
        outbox: Outbox | None,
        timezone: str = "UTC",
        digest_hour: int = 18,
        daily_tasks: list[DailyTask] | None = None,
    ) -> None:
        self.broker = broker
        self.sessionmaker = sessionmaker
        self.outbox = outbox
        self.zone = ZoneInfo(timezone)
        self.digest_hour = digest_hour
        self.daily_tasks: list[DailyTask] = daily_tasks if daily_tasks is not None else []
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    # --- after a commit ----------------------------------------------------------------

    def committed(self, items: list[Committed]) -> None:
        """Take notifications just committed: push them, wake the outbox. Never blocks."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a commit outside an event loop: the outbox sends the e-mail
            return
        self._spawn(loop, self._push(items))
        if self.outbox is not None and any(i.email_state == EMAIL_PENDING for i in items):
            self._wake.set()

    def _spawn(self, loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, None]) -> None:
        task = loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, items: list[Committed]) -> None:
        by_user: dict[int, list[int]] = {}
        for item in items:
            by_user.setdefault(item.user_id, []).append(item.id)
        users = list(by_user)
        for start in range(0, len(users), PUSH_USERS):
            part = {user_id: by_user[user_id] for user_id in users[start : start + PUSH_USERS]}
            try:
                await self.broker.publish(CHANNEL, push_message(part))
            except Exception as exc:  # the page still finds it on its next load
                log.warning("live notification not pushed (%s)", type(exc).__name__)

    # --- background work ---------------------------------------------------------------

    def start(self) -> None:
        """Start the outbox (when e-mail is configured) and the daily scheduler."""
        loop = asyncio.get_running_loop()
        if self.outbox is not None:
            self._spawn(loop, self._run_outbox())
        self._spawn(loop, self._run_daily())

    async def close(self) -> None:
        """Stop the background work and wait for pushes in flight to end."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def wake(self) -> None:
        """Make the outbox look for due e-mails now."""
        self._wake.set()

    async def _run_outbox(self) -> None:
        assert self.outbox is not None
        while True:
            idle = MAX_IDLE_SECONDS
            try:
                await self.outbox.send_due()
                next_due = await self.outbox.next_due()
                if next_due is not None:
                    idle = min(idle, max(0.05, (next_due - utcnow()).total_seconds()))
            except Exception:
                log.exception("notification outbox failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=idle)
            self._wake.clear()

    def next_daily(self, now: datetime) -> datetime:
        """The next moment of the daily work: ``digest_hour`` o'clock in the school's zone."""
        local = now.astimezone(self.zone)
        moment = local.replace(hour=self.digest_hour, minute=0, second=0, microsecond=0)
        if moment <= local:
            moment += timedelta(days=1)
        return moment

    async def _run_daily(self) -> None:
        while True:
            moment = self.next_daily(utcnow())
            await asyncio.sleep(max(0.0, (moment - utcnow()).total_seconds()))
            try:
                await self.daily(moment.date())
            except Exception:
                log.exception("daily notification work failed")

    async def daily(self, today: date) -> None:
        """The day's digest and the registered daily tasks (once across every worker)."""
        await self.digest_now()
        claimed = await self.broker.set_value(
            f"notify:daily:{today.isoformat()}",
            "1",
            ttl=DAILY_CLAIM_SECONDS,
            only_if_absent=True,
        )
        if not claimed:
            return
        try:
            async with self.sessionmaker() as session:
                await notifications_purge(session, before=utcnow() - KEEP_FOR)
        except Exception:
            log.exception("old notifications not purged")
        for task in self.daily_tasks:
            try:
                async with self.sessionmaker() as session:
                    await task(session, today)
            except Exception:
                log.exception("a daily notification task failed")

    async def digest_now(self) -> None:
        """Make every waiting digest due and wake the outbox (idempotent)."""
        if self.outbox is None:
            return
        await digest_stamp(self.sessionmaker)
        self._wake.set()

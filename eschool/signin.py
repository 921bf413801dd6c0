"""Sign-in throttling: failures slow down the client that fails, never the person who knows
the password and signs in from somewhere else.

A *client* is the peer address, or a device cookie that once signed in to that login (so that
a teacher whose pupil fails on purpose from the same school network still gets in). Each
attempt is written to ``login_failures`` before the password is checked, marked pending (its
``address`` starts with ``?``), so that concurrent tries on one login see each other (in every
worker: the table is the shared state); it becomes a failure when the password was wrong and
is removed when it succeeds or is refused. Two rules, both answered with 429 and
``Retry-After``:

- per client and login, exponential backoff: after ``free_failures`` failures (pending tries
  included) the client waits 1 s after the last one, then 2 s, 4 s ... up to ``max_delay``;
- per address, across logins: ``address_failures`` failures within ``window`` stop that
  address (not a device that once signed in) until the oldest of them ages out. Pending tries
  do not count here: a class signing in at once behind one school address is not refused.

A client with no recent failures is never refused, whatever happens to the login elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import TooManyRequests
from eschool.i18n import gettext as _
from eschool.models import LoginFailure
from eschool.security import digest
from eschool.timeutil import utcnow

DEVICE_PREFIX = "device:"
PENDING = "?"  # before the client of an attempt whose password is still being checked


@dataclass(frozen=True)
class LoginThrottle:
    """How hard failed sign-ins are slowed down (built from the settings)."""

    free_failures: int = 5
    max_delay: int = 900
    address_failures: int = 30
    window: int = 900
    memory: int = 86400  # how long a failure still counts toward a client's backoff

    @classmethod
    def from_settings(cls, settings: Any) -> LoginThrottle:
        """The throttle that ``Settings`` describe."""
        return cls(
            free_failures=settings.login_max_failures,
            max_delay=settings.login_window_seconds,
            address_failures=settings.address_max_failures,
            window=settings.login_window_seconds,
        )

    def delay(self, failures: int) -> int:
        """Seconds a client must wait after its last failure, having failed ``failures`` times."""
        if failures < self.free_failures:
            return 0
        return min(2 ** min(failures - self.free_failures, 30), self.max_delay)


def client_key(address: str, device: str | None) -> str:
    """Who is failing: a device that once signed in to this login, else the peer address."""
    if device:
        return DEVICE_PREFIX + digest(device)[:40]
    return address[:63]


def _refuse(until: datetime, now: datetime) -> TooManyRequests:
    return TooManyRequests(
        _("Too many failed sign-in attempts. Wait a few minutes and try again."),
        retry_after=max(1, math.ceil((until - now).total_seconds())),
    )


async def attempt_begin(
    session: AsyncSession, *, throttle: LoginThrottle, login: str, client: str
) -> LoginFailure:
    """Record a pending attempt of ``client`` on ``login`` (committed), or refuse it with 429.

    Follow it with :func:`attempt_failed` or :func:`attempt_succeeded`.
    """
    now = utcnow()
    attempt = LoginFailure(login=login, address=PENDING + client, at=now)
    session.add(attempt)
    await session.commit()
    try:
        await _check(session, throttle=throttle, attempt=attempt, client=client, now=now)
    except TooManyRequests:
        # A refused attempt checked no password: it does not count as a failure.
        await session.exec(delete(LoginFailure).where(col(LoginFailure.id) == attempt.id))
        await session.commit()
        raise
    return attempt


async def _check(
    session: AsyncSession,
    *,
    throttle: LoginThrottle,
    attempt: LoginFailure,
    client: str,
    now: datetime,
) -> None:
    failures, last = (
        await session.exec(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.login == attempt.login,
                col(LoginFailure.address).in_((client, PENDING + client)),
                LoginFailure.at >= now - timedelta(seconds=throttle.memory),
                col(LoginFailure.id) < (attempt.id or 0),
            )
        )
    ).one()
    wait = throttle.delay(failures)
    if wait and last is not None and last + timedelta(seconds=wait) > now:
        raise _refuse(last + timedelta(seconds=wait), now)
    if client.startswith(DEVICE_PREFIX):
        return
    by_address, oldest = (
        await session.exec(
            select(func.count(), func.min(LoginFailure.at)).where(
                LoginFailure.address == client,
                LoginFailure.at >= now - timedelta(seconds=throttle.window),
            )
        )
    ).one()
    if by_address >= throttle.address_failures and oldest is not None:
        raise _refuse(oldest + timedelta(seconds=throttle.window), now)


async def attempt_failed(
    session: AsyncSession, *, throttle: LoginThrottle, attempt: LoginFailure
) -> None:
    """The password was wrong: the attempt becomes a failure; failures too old to count go."""
    await session.exec(
        update(LoginFailure)
        .where(col(LoginFailure.id) == attempt.id)
        .values(address=attempt.address.removeprefix(PENDING))
    )
    cutoff = attempt.at - timedelta(seconds=max(throttle.memory, throttle.window))
    await session.exec(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
    await session.commit()


async def attempt_succeeded(session: AsyncSession, *, attempt: LoginFailure) -> None:
    """The password was right: this client's failures on this login are forgotten (not the
    login's failures from elsewhere: an attacker's backoff is not reset by its victim).
    Not committed: the caller commits it with the new session."""
    client = attempt.address.removeprefix(PENDING)
    await session.exec(
        delete(LoginFailure).where(
            col(LoginFailure.login) == attempt.login,
            col(LoginFailure.address).in_((client, PENDING + client)),
        )
    )

"""Wrong join codes and pairing codes, counted per address where every worker sees them.

Like the sign-in throttle (``eschool.signin``), the count is rows of ``login_failures``: the
``login`` column names the kind of code (``live:join``, ``live:pair``) and the ``address``
column is ``code:<address>``, a prefix no sign-in client has, so these rows never count toward
the sign-in limits nor sign-in failures toward these. A visitor who keeps trying codes is
stopped (429), so running lessons cannot be found by trying them all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.errors import TooManyRequests
from eschool.i18n import gettext as _
from eschool.models import LoginFailure
from eschool.timeutil import utcnow

ADDRESS_PREFIX = "code:"


@dataclass(frozen=True)
class CodeGuesses:
    """At most ``limit`` wrong codes of one ``kind`` per address within ``window`` seconds."""

    kind: str = "live:join"
    limit: int = 30
    window: int = 600

    def _client(self, address: str) -> str:
        return (ADDRESS_PREFIX + address)[:64]

    async def check(self, session: AsyncSession, address: str) -> None:
        """Refuse (429) an address that has guessed wrong too often lately."""
        now = utcnow()
        count, oldest = (
            await session.exec(
                select(func.count(), func.min(LoginFailure.at)).where(
                    LoginFailure.login == self.kind,
                    LoginFailure.address == self._client(address),
                    LoginFailure.at >= now - timedelta(seconds=self.window),
                )
            )
        ).one()
        if count >= self.limit and oldest is not None:
            wait = (oldest + timedelta(seconds=self.window) - now).total_seconds()
            raise TooManyRequests(
                _("Too many wrong codes. Wait a few minutes and try again."),
                retry_after=max(1, math.ceil(wait)),
            )

    async def failed(self, session: AsyncSession, address: str) -> None:
        """Count one wrong code from this address (committed); expired ones go."""
        now = utcnow()
        session.add(LoginFailure(login=self.kind, address=self._client(address), at=now))
        await session.exec(
            delete(LoginFailure).where(
                col(LoginFailure.login) == self.kind,
                col(LoginFailure.at) < now - timedelta(seconds=self.window),
            )
        )
        await session.commit()

"""Create the whole demo school: people here, then each package's own demo data."""

from __future__ import annotations

import importlib
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.packages import DOMAIN_PACKAGES
from eschool.seed import DEMO_PASSWORD, DemoPeople, seed_people
from eschool.settings import Settings

# Each domain package's ``seed`` module has ``seed_demo(session, people=, today=, settings=)``;
# they run in DOMAIN_PACKAGES order: lessons first (the gradebook links slots to lessons).

DEMO_LOGINS = [
    ("admin", "school administrator"),
    ("teacher", "Mathematics in 7A and 7B, form tutor of 7A"),
    ("teacher2", "Russian language and English in 7A"),
    ("pupil", "a pupil of 7A"),
    ("pupil2", "a pupil of 7B"),
    ("parent", "parent of pupil"),
]


async def seed_demo(
    session: AsyncSession, *, settings: Settings, today: date | None = None
) -> DemoPeople:
    """Create the demo school (idempotent: a second run adds nothing)."""
    today = today or date.today()
    people, _created = await seed_people(session, today=today)
    for package in DOMAIN_PACKAGES:
        try:
            module = importlib.import_module(f"{package}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.seed":
                raise
            continue
        await module.seed_demo(session, people=people, today=today, settings=settings)
    return people


def logins_text(address: str) -> str:
    """The block printed after seeding: where to go and how to sign in."""
    lines = [f"eschool demo school at {address}", f"Every account's password: {DEMO_PASSWORD}"]
    lines += [f"  {login:<10} {who}" for login, who in DEMO_LOGINS]
    return "\n".join(lines)

"""The live part of the demo school: observation rubrics for open lessons, one in Russian and
the same one in English (``seed_data/rubrics.json``). Idempotent: a rubric whose title the
school already has is not added again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.seed import DemoPeople
from eschool.settings import Settings
from live.models import Rubric, RubricCreate

SEED_DATA = Path(__file__).resolve().parent / "seed_data"


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Add the demo school's observation rubrics (validated like the API's)."""
    school_id = people.school.id or 0
    have = set(
        (await session.exec(select(Rubric.title).where(Rubric.school_id == school_id))).all()
    )
    for raw in json.loads((SEED_DATA / "rubrics.json").read_text(encoding="utf-8")):
        data = RubricCreate.model_validate(raw)
        if data.title in have:
            continue
        criteria = [criterion.model_dump(mode="json") for criterion in data.criteria]
        session.add(Rubric(school_id=school_id, title=data.title, criteria=criteria))
    await session.commit()

"""The messaging part of the demo school: a parent's conversation with the class tutor, one
between two teachers, a school news item and a class news item (``seed_data/demo.json``).

Idempotent: nothing is added once the school has a conversation or a news item. Rows are
written directly (the services would date everything now and notify everyone).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.models import Guardianship, User
from eschool.seed import DemoPeople
from eschool.settings import Settings
from eschool.timeutil import utcnow
from messaging.models import Message, NewsAudience, NewsItem, Thread, ThreadParticipant

SEED_DATA = Path(__file__).resolve().parent / "seed_data" / "demo.json"


async def _people(session: AsyncSession, people: DemoPeople) -> dict[str, User]:
    found = dict(people.staff)
    pupil = next((p for p in people.pupils.get("7A", []) if p.login == "pupil"), None)
    if pupil is not None:
        found["pupil"] = pupil
        parent = await session.exec(
            select(User)
            .join(Guardianship, col(Guardianship.parent_id) == User.id)
            .where(Guardianship.child_id == pupil.id, User.login == "parent")
        )
        if (row := parent.first()) is not None:
            found["parent"] = row
    return found


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Add the demo conversations and news (once)."""
    school_id = people.school.id or 0
    for table in (Thread, NewsItem):
        if (await session.exec(select(table.id).where(table.school_id == school_id))).first():
            return
    data: dict[str, Any] = json.loads(SEED_DATA.read_text(encoding="utf-8"))
    who = await _people(session, people)
    now = utcnow()
    for spec in data["threads"]:
        if any(name not in who for name in spec["people"]):
            continue
        first = spec["messages"][0]
        started = now - timedelta(hours=first["hours_ago"])
        last = now - timedelta(hours=spec["messages"][-1]["hours_ago"])
        about = who.get(spec.get("about", ""))
        thread = Thread(
            school_id=school_id,
            subject=spec["subject"],
            created_by=who[first["from"]].id or 0,
            pupil_id=about.id if about else None,
            created_at=started,
            last_message_at=last,
        )
        session.add(thread)
        await session.flush()
        ids = []
        for message in spec["messages"]:
            row = Message(
                thread_id=thread.id or 0,
                author_id=who[message["from"]].id or 0,
                text=message["text"],
                created_at=now - timedelta(hours=message["hours_ago"]),
            )
            session.add(row)
            await session.flush()
            ids.append((message["from"], row.id or 0))
        for name in spec["people"]:
            # Everyone has read up to their own last message: the others' later ones are new.
            read = max((i for author, i in ids if author == name), default=0)
            member = ThreadParticipant(
                thread_id=thread.id or 0, user_id=who[name].id or 0, last_read_id=read
            )
            session.add(member)
    for spec in data["news"]:
        if spec["author"] not in who:
            continue
        item = NewsItem(
            school_id=school_id,
            author_id=who[spec["author"]].id or 0,
            title=spec["title"],
            text=spec["text"],
            created_at=now - timedelta(hours=spec["hours_ago"]),
        )
        session.add(item)
        await session.flush()
        classes = [people.classes[name].id for name in spec.get("classes", [])] or [None]
        session.add_all(
            NewsAudience(news_id=item.id or 0, role=role, class_id=class_id)
            for role in spec["roles"]
            for class_id in classes
        )
    await session.commit()

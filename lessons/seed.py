"""The library part of the demo school: real published lessons by the demo teachers.

The lessons are data, not code: each is an unpacked exchange zip under ``seed_lessons/<name>/``
(``lesson.json`` and ``assets/<sha256>``, the format of docs/exchange-formats.md), listed in
``seed_lessons/index.json`` with the demo teacher who wrote it and whether it is published.
Seeding packs each one and takes it in through the same importer a teacher's upload goes
through, so the demo also proves the format. Each has several text blocks, a picture drawn for
it (an SVG) and a quiz with several kinds of question; some have a poll and a whiteboard.
Idempotent: a lesson whose author already has one of that title is skipped.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.seed import DemoPeople
from eschool.settings import Settings
from lessons.exchange.eschool_zip import LESSON_JSON
from lessons.models import Lesson
from lessons.services import lesson_import, lesson_publish

SEED_LESSONS = Path(__file__).resolve().parent / "seed_lessons"


def demo_lessons() -> list[dict[str, Any]]:
    """The index: ``{"dir", "author", "publish"}`` per lesson, in the order they are made."""
    return json.loads((SEED_LESSONS / "index.json").read_text(encoding="utf-8"))


def pack_directory(directory: Path) -> bytes:
    """An unpacked exchange zip packed again, byte for byte what an export would carry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(directory / LESSON_JSON, LESSON_JSON)
        for asset in sorted((directory / "assets").glob("*")):
            archive.write(asset, f"assets/{asset.name}", zipfile.ZIP_STORED)
    return buffer.getvalue()


def _title(directory: Path) -> str:
    document = json.loads((directory / LESSON_JSON).read_text(encoding="utf-8"))
    return document["lesson"]["title"]


async def _exists(session: AsyncSession, *, author_id: int, title: str) -> bool:
    row = await session.exec(
        select(Lesson.id).where(Lesson.author_id == author_id, Lesson.title == title)
    )
    return row.first() is not None


async def seed_demo(
    session: AsyncSession, *, people: DemoPeople, today: date, settings: Settings
) -> None:
    """Create the demo library (idempotent): ten published lessons and a draft."""
    for entry in demo_lessons():
        directory = SEED_LESSONS / entry["dir"]
        author = people.staff[entry["author"]]
        if await _exists(session, author_id=author.id or 0, title=_title(directory)):
            continue
        lesson = await lesson_import(
            session,
            actor=author,
            uploads_dir=settings.uploads_dir,
            archive=pack_directory(directory),
            max_total=settings.upload_limit,
        )
        if entry["publish"]:
            await lesson_publish(session, actor=author, lesson_id=lesson.id or 0)

"""The demo library: real published lessons, their pictures stored, and idempotence."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from eschool.models import User
from eschool.uploads.models import Upload
from eschool.uploads.sniff import sniff_mime
from lessons.models import Lesson, LessonStatus, LessonVersion
from lessons.scoring import score_quiz
from lessons.seed import seed_demo
from tests.conftest import TODAY


def right_answer(question: dict) -> object:
    """What a pupil who knows the answer would send (CONTRACT.md: answers per kind)."""
    key = question["answer"]
    if question["kind"] == "number":
        return key["value"]
    if question["kind"] == "text":
        return key[0].upper()
    return key


async def counts(session) -> tuple[int, int, int]:
    lessons = (await session.exec(select(func.count()).select_from(Lesson))).one()
    versions = (await session.exec(select(func.count()).select_from(LessonVersion))).one()
    assets = (await session.exec(select(func.count()).select_from(Upload))).one()
    return lessons, versions, assets


async def test_demo_library_is_real_and_seeding_twice_adds_nothing(
    sessionmaker, people, settings, client, as_user
):
    async with sessionmaker() as session:
        await seed_demo(session, people=people, today=TODAY, settings=settings)
        first = await counts(session)
        await seed_demo(session, people=people, today=TODAY, settings=settings)
        assert await counts(session) == first

        published = (
            await session.exec(
                select(Lesson, User)
                .join(User, User.id == Lesson.author_id)
                .where(Lesson.status == LessonStatus.published)
            )
        ).all()
    assert len(published) >= 10
    assert len({lesson.subject for lesson, _ in published}) >= 6
    assert {author.login for _, author in published} >= {
        "teacher",
        "teacher2",
        "physics",
        "history",
        "biology",
        "geography",
    }
    kinds_seen: set[str] = set()
    for lesson, _author in published:
        kinds = [block["kind"] for block in lesson.blocks]
        assert kinds.count("text") >= 3, lesson.title
        assert "image" in kinds and "quiz" in kinds, lesson.title
        kinds_seen.update(kinds)
        for block in lesson.blocks:
            if block["kind"] == "image":
                path = settings.uploads_dir / block["asset"][:2] / block["asset"]
                assert sniff_mime(path.read_bytes()) == "image/svg+xml"
            if block["kind"] == "quiz":
                questions = block["questions"]
                assert len({q["kind"] for q in questions}) >= 2, lesson.title
                earned, most = score_quiz(questions, [right_answer(q) for q in questions])
                assert earned == most > 0, lesson.title  # every key scores full marks
    assert {"poll", "whiteboard"} <= kinds_seen

    # The library answers searches over it, in Russian and in English.
    pupil = await as_user("pupil")
    found = await client.get("/api/v1/lessons?q=хлоропласт", headers=pupil)
    assert [item["title"] for item in found.json()["items"]] == ["Строение растительной клетки"]
    found = await client.get("/api/v1/lessons?q=participle", headers=pupil)
    assert [item["title"] for item in found.json()["items"]] == ["Present Perfect or Past Simple?"]
    image_sha = next(b["asset"] for b in published[0][0].blocks if b["kind"] == "image")
    assert (await client.get(f"/assets/{image_sha}", headers=pupil)).status_code == 200
    # The one draft stays its author's.
    drafts = await client.get("/api/v1/lessons?status=draft", headers=await as_user("teacher2"))
    assert drafts.json()["total"] == 0

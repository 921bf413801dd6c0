"""The access record (who read whose diary, which journal, which live report) and retention:
the settings, the ``eschool purge`` command and the hourly purge of the app's lifespan."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.cli import main as eschool_main
from eschool.privacy.models import AccessRecord, PrivacyAudit, PrivacySettings
from eschool.settings import Settings
from eschool.timeutil import utcnow
from live.models import LiveEvent, LiveSession, SessionStatus
from tests.gradebook import conftest as gradebook_fixtures
from tests.gradebook.conftest import Gradebook

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook


async def test_reads_are_recorded_and_listed_to_admins_only(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    teacher, parent = await as_user("teacher"), await as_user("parent")
    admin = await as_user("admin")
    for url, headers in (
        (f"/api/v1/courses/{gradebook.math_7a}/journal", teacher),
        (f"/api/v1/courses/{gradebook.math_7a}/journal.csv", teacher),
        (f"/journal/{gradebook.math_7b}", teacher),  # the 7B page: not about pupil
        (f"/api/v1/diary/{pupil.id}", parent),
        (f"/api/v1/diary/{pupil.id}", await as_user("pupil")),  # one's own: not recorded
    ):
        assert (await client.get(url, headers=headers)).status_code == 200, url

    log = "/api/v1/privacy/access-log"
    about = await client.get(log, params={"pupil": pupil.id}, headers=admin)
    assert about.status_code == 200
    body = about.json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 50)
    first = body["items"][0]
    assert (first["what"], first["actor"]["role"], first["pupil"]["id"]) == (
        "diary",
        "parent",
        pupil.id,
    )
    assert [(i["what"], i["class"]["name"]) for i in body["items"][1:]] == [
        ("journal.csv", "7A"),
        ("journal", "7A"),
    ]
    second_page = (
        await client.get(log, params={"pupil": pupil.id, "page": 2, "per_page": 1}, headers=admin)
    ).json()
    assert second_page["total"] == 3 and [i["what"] for i in second_page["items"]] == [
        "journal.csv"
    ]
    everything = (await client.get(log, headers=admin)).json()
    assert everything["total"] == 4
    for login in ("teacher", "parent", "pupil"):
        assert (await client.get(log, headers=await as_user(login))).status_code == 403
    teacher_id = (await client.get("/api/v1/me", headers=teacher)).json()["id"]
    not_a_pupil = await client.get(log, params={"pupil": teacher_id}, headers=admin)
    assert not_a_pupil.status_code == 404

    page = await client.get("/admin/privacy", params={"pupil": pupil.id}, headers=admin)
    assert page.status_code == 200
    assert "journal.csv" not in page.text and "Journal (CSV)" in page.text
    form = {"action": "erase", "pupil_id": str(pupil.id), "confirm": "pupil"}
    active = await client.post("/admin/privacy", data=form, headers=admin)
    assert active.status_code == 409 and "Deactivate the pupil first" in active.text
    person = await client.get(f"/admin/people/{pupil.id}", headers=admin)
    assert f"/api/v1/privacy/pupils/{pupil.id}/export" in person.text


async def _old_and_new(app: Starlette, gradebook: Gradebook) -> dict[str, int]:
    """An access record and an ended live lesson with a recording, each old and recent."""
    pupil = gradebook.pupil("pupil")
    long_ago = utcnow() - timedelta(days=3)
    async with app.state.sessionmaker() as session:
        ids: dict[str, int] = {}
        for key, at in (("old", long_ago), ("new", utcnow())):
            record = AccessRecord(
                school_id=pupil.school_id, actor_id=pupil.id or 0, what="diary", at=at
            )
            live = LiveSession(
                school_id=pupil.school_id,
                code=f"{key.upper()}123",
                teacher_id=pupil.id or 0,
                lesson_id=1,
                lesson_version=1,
                title="Fractions",
                status=SessionStatus.ended,
                started_at=at,
                ended_at=at,
            )
            session.add_all([record, live])
            await session.flush()
            session.add_all(
                LiveEvent(session_id=live.id or 0, seq=seq, body='{"type":"slide.goto"}')
                for seq in (1, 2)
            )
            ids[f"{key}_record"], ids[f"{key}_session"] = record.id or 0, live.id or 0
            folder = app.state.settings.data_dir / "recordings" / live.code
            folder.mkdir(parents=True)
            video = folder / "20250101T100000Z-camera.webm"
            video.write_bytes(b"webm")
            os.utime(video, (at.timestamp(), at.timestamp()))
        await session.commit()
    return ids


async def test_retention_settings_and_the_purge_command(
    app: Starlette,
    client: httpx.AsyncClient,
    as_user,
    gradebook: Gradebook,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await as_user("admin")
    url = "/api/v1/privacy/retention"
    assert (await client.get(url, headers=admin)).json() == {
        "live_events": 365,
        "recordings": 90,
        "access_log": 365,
    }
    bad = await client.patch(url, json={"access_log_days": 0}, headers=admin)
    assert bad.status_code == 422
    teacher = await client.patch(url, json={"access_log_days": 1}, headers=await as_user("teacher"))
    assert teacher.status_code == 403
    form = {
        "action": "retention",
        "live_events_days": "",
        "recordings_days": "",
        "access_log_days": "2",
    }
    saved = await client.post("/admin/privacy", data=form, headers=admin)
    assert saved.status_code == 303
    assert (await client.get(url, headers=admin)).json() == {
        "live_events": None,
        "recordings": None,
        "access_log": 2,
    }
    days = {"live_events_days": 1, "recordings_days": 1, "access_log_days": 1}
    assert (await client.patch(url, json=days, headers=admin)).json() == {
        "live_events": 1,
        "recordings": 1,
        "access_log": 1,
    }
    ids = await _old_and_new(app, gradebook)

    monkeypatch.setenv("ESCHOOL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ESCHOOL_DATA_DIR", str(settings.data_dir))
    assert await asyncio.to_thread(eschool_main, ["purge"]) == 0

    async with app.state.sessionmaker() as session:
        records = set((await session.exec(select(AccessRecord.id))).all())
        events = (await session.exec(select(LiveEvent.session_id))).all()
        audit = (
            await session.exec(select(PrivacyAudit).where(PrivacyAudit.action == "purge"))
        ).one()
    assert ids["old_record"] not in records and ids["new_record"] in records
    assert sorted(events) == [ids["new_session"]] * 2
    assert audit.detail == {"access_log": 1, "live_events": 2, "recordings": 1}
    recordings = app.state.settings.data_dir / "recordings"
    assert not (recordings / "OLD123").exists()
    assert [p.name for p in (recordings / "NEW123").iterdir()] == ["20250101T100000Z-camera.webm"]


async def test_the_app_purges_in_its_lifespan_and_stops_on_shutdown(
    settings: Settings, gradebook: Gradebook, app: Starlette
) -> None:
    ids = await _old_and_new(app, gradebook)
    async with app.state.sessionmaker() as session:
        school_id = gradebook.pupil("pupil").school_id
        session.add(PrivacySettings(school_id=school_id, access_log_days=1))
        await session.commit()

    def purgers() -> set[asyncio.Task]:
        return {t for t in asyncio.all_tasks() if t.get_name() == "privacy-purge"}

    before = purgers()
    quick = create_app(replace(settings, purge_interval_seconds=0.05))
    async with quick.router.lifespan_context(quick):
        (mine,) = purgers() - before
        for _attempt in range(200):
            async with quick.state.sessionmaker() as session:
                left = set((await session.exec(select(AccessRecord.id))).all())
            if ids["old_record"] not in left:
                break
            await asyncio.sleep(0.05)
        assert left == {ids["new_record"]}
    assert mine.done()

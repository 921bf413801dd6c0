"""A pupil's export and erasure through the API: a pupil with marks (and history),
attendance, a term mark, homework work, live answers and chat, an upload, a calendar link and a
parent — next to a classmate whose data must never leak into the export, and whose marks and
answers the erasure must not touch."""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel import select
from starlette.applications import Starlette

from classwork.models import AssignmentWork
from eschool.models import User
from eschool.privacy.models import PrivacyAudit
from eschool.queries import user_by_login
from eschool.uploads.models import Upload
from eschool.uploads.store import store_bytes, stored_path
from live.models import LiveEvent, LiveSession
from live.protocol import parse_client_message
from live.room import Actor
from tests.classwork import conftest as classwork_fixtures
from tests.classwork.conftest import RIGHT_Q1, Library, due_in
from tests.gradebook import conftest as gradebook_fixtures
from tests.gradebook.conftest import Gradebook

# The gradebook of tests/gradebook and the library lesson of tests/classwork.
as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook
library = classwork_fixtures.library

CLASSMATE_SECRETS = ("CLASSMATE-COMMENT", "CLASSMATE-ANSWER", "CLASSMATE-LIVE", "CLASSMATE-CHAT")


@dataclass
class World:
    pupil: User
    classmate: User
    code: str
    assignment_id: int
    mark_id: int
    feed_secret: str
    upload_sha: str


def command(type_: str, data: dict[str, Any]) -> Any:
    envelope = {"type": type_, "id": f"{type_}-{time.monotonic_ns()}", "data": data}
    return parse_client_message(json.dumps(envelope))


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def _live_lesson(
    app: Starlette, client: httpx.AsyncClient, teacher: dict, world: dict[str, Any]
) -> str:
    started = await _ok(
        await client.post(
            "/api/v1/live",
            json={"lesson_id": world["lesson_id"], "slot_id": world["slot_id"]},
            headers=teacher,
        ),
        201,
    )
    room = started["code"].replace("-", "")
    hub = app.state.hub
    host = Actor(world["teacher"].id, "teacher", world["teacher"].name)
    anya = Actor(world["pupil"].id, "pupil", world["pupil"].name)
    mate = Actor(world["classmate"].id, "pupil", world["classmate"].name)
    connections = [(await hub.join(room, who))[0] for who in (host, anya, mate)]
    await hub.submit(room, host, command("quiz.open", {"block_id": "q1"}))
    await hub.submit(room, anya, command("quiz.answer", {"block_id": "q1", "answers": RIGHT_Q1}))
    wrong = [0, [1], "CLASSMATE-LIVE"]
    await hub.submit(room, mate, command("quiz.answer", {"block_id": "q1", "answers": wrong}))
    await hub.submit(room, host, command("chat.mode", {"on": True}))
    await hub.submit(room, anya, command("chat.post", {"text": "ANYA-CHAT hello"}))
    await hub.submit(room, mate, command("chat.post", {"text": "CLASSMATE-CHAT hi"}))
    for connection in connections:
        await hub.leave(connection)
    await _ok(await client.post(f"/live/{started['code']}/end", headers=teacher))
    await _ok(await client.get(f"/live/{started['code']}/report", headers=teacher))
    return started["code"]


async def build_world(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> World:
    pupil, classmate = gradebook.pupil("pupil"), gradebook.classmate()
    teacher, mine, theirs = (
        await as_user("teacher"),
        await as_user("pupil"),
        await as_user(classmate.login),
    )
    first, second = gradebook.recent_slots(gradebook.math_7a, 2)
    mark = await _ok(
        await client.post(
            "/api/v1/marks",
            json={
                "pupil_id": pupil.id,
                "slot_id": first.id,
                "value": 5,
                "work_type": "test",
                "comment": "Anya answered well",
            },
            headers=teacher,
        ),
        201,
    )
    await _ok(
        await client.patch(
            f"/api/v1/marks/{mark['id']}", json={"value": 4, "reason": "retest"}, headers=teacher
        )
    )
    await _ok(
        await client.post(
            "/api/v1/marks",
            json={
                "pupil_id": classmate.id,
                "slot_id": first.id,
                "value": 3,
                "comment": "CLASSMATE-COMMENT",
            },
            headers=teacher,
        ),
        201,
    )
    await _ok(
        await client.put(
            "/api/v1/attendance",
            json={"pupil_id": pupil.id, "slot_id": second.id, "status": "absent"},
            headers=teacher,
        )
    )
    await _ok(
        await client.put(
            "/api/v1/term-marks",
            json={
                "pupil_id": pupil.id,
                "course_id": gradebook.math_7a,
                "term_id": gradebook.term_id,
                "value": 4,
            },
            headers=teacher,
        )
    )
    assignment = await _ok(
        await client.post(
            "/api/v1/assignments",
            json={
                "lesson_id": library.lesson_id,
                "course_id": gradebook.math_7a,
                "due": due_in(app, 3),
            },
            headers=teacher,
        ),
        201,
    )
    answers = f"/api/v1/assignments/{assignment['id']}/answers"
    await _ok(await client.put(answers, json={"block_id": "q1", "answers": RIGHT_Q1}, headers=mine))
    await _ok(await client.post(f"/api/v1/assignments/{assignment['id']}/submit", headers=mine))
    theirs_q1 = {"block_id": "q1", "answers": [0, [1], "CLASSMATE-ANSWER"]}
    await _ok(await client.put(answers, json=theirs_q1, headers=theirs))
    code = await _live_lesson(
        app,
        client,
        teacher,
        {
            "lesson_id": library.lesson_id,
            "slot_id": first.id,
            "teacher": (await _user(app, "teacher")),
            "pupil": pupil,
            "classmate": classmate,
        },
    )
    feed = await _ok(await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=mine), 201)
    await _ok(await client.get(f"/api/v1/diary/{pupil.id}", headers=await as_user("parent")))
    settings = app.state.settings
    stored = store_bytes(settings.uploads_dir, b"%PDF-1.4 the pupil's own essay")
    async with app.state.sessionmaker() as session:
        session.add(
            Upload(
                sha256=stored.sha256,
                school_id=pupil.school_id,
                uploaded_by=pupil.id or 0,
                mime="application/pdf",
                size=stored.size,
                filename="essay.pdf",
            )
        )
        await session.commit()
    return World(
        pupil=pupil,
        classmate=classmate,
        code=code,
        assignment_id=assignment["id"],
        mark_id=mark["id"],
        feed_secret=feed["url"].rsplit("/", 1)[1].removesuffix(".ics"),
        upload_sha=stored.sha256,
    )


async def _user(app: Starlette, login: str) -> User:
    async with app.state.sessionmaker() as session:
        user = await user_by_login(session, login)
        assert user is not None
        return user


def _read_zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_export_holds_everything_about_the_pupil_and_nobody_else(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    world = await build_world(app, client, as_user, gradebook, library)
    url = f"/api/v1/privacy/pupils/{world.pupil.id}/export"
    assert (await client.get(url, headers=await as_user("teacher"))).status_code == 403
    teacher_id = (await _user(app, "teacher")).id
    missing = await client.get(
        f"/api/v1/privacy/pupils/{teacher_id}/export", headers=await as_user("admin")
    )
    assert missing.status_code == 404
    response = await client.get(url, headers=await as_user("admin"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    files = _read_zip(response.content)
    packages = {"eschool", "lessons", "gradebook", "classwork", "live"}
    assert {f"{package}.json" for package in packages} | {"manifest.json"} <= set(files)
    part = {package: json.loads(files[f"{package}.json"]) for package in packages}
    manifest = json.loads(files["manifest.json"])
    assert manifest["pupil"]["login"] == "pupil" and len(manifest["files"]) == 1
    assert files[manifest["files"][0]] == b"%PDF-1.4 the pupil's own essay"

    shell = part["eschool"]
    assert shell["profile"]["name"] == world.pupil.name and "password_hash" not in shell["profile"]
    assert [g["name"] for g in shell["guardians"]] == [(await _user(app, "parent")).name]
    assert [u["filename"] for u in shell["uploads"]] == ["essay.pdf"]
    assert {r["what"] for r in shell["access_record"]} >= {"diary", "live.report"}

    book = part["gradebook"]
    (mark,) = book["marks"]
    assert (mark["value"], mark["comment"]) == ("4", "Anya answered well")
    assert [(h["old"], h["new"]) for h in mark["history"] if h["field"] == "value"] == [
        (None, "5"),
        ("5", "4"),
    ]
    assert [a["status"] for a in book["attendance"]] == ["absent"]
    assert [t["value"] for t in book["term_marks"]] == ["4"]
    (feed,) = book["calendar_feeds"]
    assert feed["revoked_at"] is None and set(feed) == {"owner", "created_at", "revoked_at"}

    (work,) = part["classwork"]["assignments"]
    assert work["answers"]["q1"] == RIGHT_Q1 and len(work["attempts"]) == 1

    (lesson,) = part["live"]["sessions"]
    kinds = {event["type"]: event["data"] for event in lesson["events"]}
    assert kinds["quiz.answer"]["answers"] == RIGHT_Q1
    assert kinds["chat.post"]["text"] == "ANYA-CHAT hello"
    assert lesson["report"]["quiz"][0]["result"]["pupil_id"] == world.pupil.id

    everything = b"\n".join(files.values()).decode("utf-8", "replace")
    for secret in (*CLASSMATE_SECRETS, world.classmate.name, world.feed_secret):
        assert secret not in everything


async def _journal(client: httpx.AsyncClient, as_user, course_id: int) -> dict[str, Any]:
    return await _ok(
        await client.get(f"/api/v1/courses/{course_id}/journal", headers=await as_user("admin"))
    )


async def test_erasure_anonymises_the_pupil_and_keeps_the_class_statistics(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook, library: Library
) -> None:
    world = await build_world(app, client, as_user, gradebook, library)
    admin = await as_user("admin")
    pupil_id, name = world.pupil.id, world.pupil.name
    url = f"/api/v1/privacy/pupils/{pupil_id}/erase"
    active = await client.post(url, json={"confirm": "pupil"}, headers=admin)
    assert (active.status_code, active.json()["error"]["code"]) == (409, "pupil_active")
    await _ok(
        await client.patch(f"/api/v1/users/{pupil_id}", json={"active": False}, headers=admin)
    )
    wrong = await client.post(url, json={"confirm": "pupil2"}, headers=admin)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "wrong_confirm")
    refused = await client.post(url, json={"confirm": "pupil"}, headers=await as_user("teacher"))
    assert refused.status_code == 403
    before = await _journal(client, as_user, gradebook.math_7a)

    erased = await _ok(await client.post(url, json={"confirm": "pupil"}, headers=admin))
    assert erased["name"] == f"Former pupil #{pupil_id}"
    again = await client.post(url, json={"confirm": "pupil"}, headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_erased")

    # Marks, attendance and averages stay, under the anonymised account.
    after = await _journal(client, as_user, gradebook.math_7a)
    assert after["averages"] == before["averages"]
    assert after["term_marks"] == before["term_marks"]
    assert after["attendance"] == before["attendance"]
    marks = {m["id"]: m for m in after["marks"]}
    assert (marks[world.mark_id]["value"], marks[world.mark_id]["comment"]) == ("4", None)
    assert any(m["comment"] == "CLASSMATE-COMMENT" for m in after["marks"])
    names = {p["id"]: p["name"] for p in after["pupils"]}
    assert names[pupil_id] == f"Former pupil #{pupil_id}"

    # Nobody finds the pupil by name or login any more; the login is free again.
    found = await _ok(await client.get("/api/v1/users", params={"q": name}, headers=admin))
    assert pupil_id not in [person["id"] for person in found["items"]]
    new = {"login": "pupil", "name": "A new pupil", "role": "pupil"}
    await _ok(await client.post("/api/v1/users", json=new, headers=admin), 201)
    me = await _ok(await client.get("/api/v1/me", headers=await as_user("parent")))
    assert pupil_id not in [child["id"] for child in me["children"]]
    assert (await client.get(f"/feeds/{world.feed_secret}.ics")).status_code == 404
    assert not stored_path(app.state.settings.uploads_dir, world.upload_sha).exists()

    async with app.state.sessionmaker() as session:
        live = (await session.exec(select(LiveSession))).one()
        bodies = [row.body for row in (await session.exec(select(LiveEvent))).all()]
        works = {
            w.pupil_id: w
            for w in (
                await session.exec(
                    select(AssignmentWork).where(
                        AssignmentWork.assignment_id == world.assignment_id
                    )
                )
            ).all()
        }
        audit = (
            await session.exec(select(PrivacyAudit).where(PrivacyAudit.action == "erase"))
        ).one()
    log = "\n".join(bodies)
    assert name not in log and "ANYA-CHAT" not in log and "москва" not in log
    assert "CLASSMATE-CHAT" in log and "CLASSMATE-LIVE" in log
    entries = [
        *live.report["participants"],
        *live.report["attendance"],
        *live.report["quiz"][0]["results"],
        *live.report["proposed"],
    ]
    mine = [e for e in entries if pupil_id in (e.get("id"), e.get("pupil_id"))]
    assert len(mine) == 4 and {e["name"] for e in mine} == {f"Former pupil #{pupil_id}"}
    (result,) = [r for r in live.report["quiz"][0]["results"] if r["pupil_id"] == pupil_id]
    assert result["name"] == f"Former pupil #{pupil_id}" and result["score"] > 0
    assert works[pupil_id].answers["q1"] == [RIGHT_Q1[0], RIGHT_Q1[1], None]
    assert works[pupil_id].score is not None
    assert works[world.classmate.id].answers["q1"][2] == "CLASSMATE-ANSWER"
    assert audit.subject_id == pupil_id and name not in json.dumps(audit.detail)

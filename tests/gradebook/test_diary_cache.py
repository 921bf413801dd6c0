"""The diary's kept answers (gradebook.diary_cache) through the HTTP API: every write that
changes the week, the term summary, the news or the feed is seen on the next read, a kept
answer is never shown to a reader who may not read the diary, and every read — a 304 too — is
in the access record."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from eschool.app import create_app
from eschool.settings import Settings
from gradebook import diary_news
from tests.gradebook.conftest import Gradebook

Write = Callable[[httpx.AsyncClient, dict, Gradebook], Awaitable[None]]


def _lessons(week: dict) -> dict[int, dict]:
    return {lesson["slot_id"]: lesson for day in week["days"] for lesson in day["lessons"]}


def _maths(summary: dict) -> dict:
    return next(s for s in summary["subjects"] if s["subject"]["name"] == "Математика")


async def _mark(client: httpx.AsyncClient, teacher: dict, gradebook: Gradebook) -> None:
    slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
    body = {"pupil_id": gradebook.pupil("pupil").id, "slot_id": slot.id, "value": 5}
    assert (await client.post("/api/v1/marks", json=body, headers=teacher)).status_code == 201


async def _absence(client: httpx.AsyncClient, teacher: dict, gradebook: Gradebook) -> None:
    slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
    body = {"pupil_id": gradebook.pupil("pupil").id, "slot_id": slot.id, "status": "ill"}
    assert (await client.put("/api/v1/attendance", json=body, headers=teacher)).status_code < 300


async def _homework(client: httpx.AsyncClient, teacher: dict, gradebook: Gradebook) -> None:
    slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
    patched = await client.patch(
        f"/api/v1/slots/{slot.id}", json={"homework": "№ 777"}, headers=teacher
    )
    assert patched.status_code == 200


def _week_shows(kind: str, week: dict, gradebook: Gradebook) -> bool:
    lesson = _lessons(week)[gradebook.recent_slots(gradebook.math_7a, 1)[0].id]
    return {
        "mark": [m["value"] for m in lesson["marks"]] == ["5"],
        "absence": lesson["attendance"] == "ill",
        "homework": lesson["homework"] == "№ 777",
    }[kind]


def _summary_shows(kind: str, summary: dict) -> bool:
    maths = _maths(summary)
    return {
        "mark": [m["value"] for m in maths["marks"]] == ["5"],
        "absence": maths["attendance"]["ill"] == 1,
        "homework": True,  # the summary shows no homework
    }[kind]


WRITES: dict[str, Write] = {"mark": _mark, "absence": _absence, "homework": _homework}


@pytest.mark.parametrize("kind", sorted(WRITES))
async def test_a_write_is_seen_on_the_next_read(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, kind: str, monkeypatch
) -> None:
    # The news starts 7 days back to the minute: held still, so that a minute turning between
    # two reads cannot change the answer the test compares.
    since = diary_news.default_since()
    monkeypatch.setattr(diary_news, "default_since", lambda: since)
    pupil = gradebook.pupil("pupil")
    slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
    parent, teacher = await as_user("parent"), await as_user("teacher")
    week = {"from": slot.date.isoformat(), "to": (slot.date + timedelta(days=6)).isoformat()}
    paths = {
        "week": (f"/api/v1/diary/{pupil.id}", week),
        "summary": (f"/api/v1/diary/{pupil.id}/summary", {}),
        "news": (f"/api/v1/diary/{pupil.id}/news", {}),
    }
    before = {}
    for name, (path, params) in paths.items():
        first = await client.get(path, params=params, headers=parent)
        assert first.status_code == 200
        # Read twice: the second answer comes from what was kept.
        again = await client.get(path, params=params, headers=parent)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        before[name] = first
    assert not _week_shows(kind, before["week"].json(), gradebook)

    await WRITES[kind](client, teacher, gradebook)

    # Each answer showing the write comes anew; the others may still be the client's copy
    # (their tags are hashes of their bytes).
    shows = {"week": True, "summary": kind != "homework", "news": kind != "absence"}
    after = {}
    for name, (path, params) in paths.items():
        etag = before[name].headers["etag"]
        answer = await client.get(path, params=params, headers={**parent, "If-None-Match": etag})
        if shows[name]:
            assert answer.status_code == 200, name
            assert answer.headers["etag"] != etag
        else:
            assert answer.status_code in (200, 304)
        after[name] = (await client.get(path, params=params, headers=parent)).json()
    assert _week_shows(kind, after["week"], gradebook)
    assert _summary_shows(kind, after["summary"])
    if kind == "mark":
        assert [m["value"] for m in after["news"]["marks"]] == ["5"]
    if kind == "homework":
        assert "№ 777" in [h["homework"] for h in after["news"]["homework"]]
    # The page shows the same.
    page = await client.get("/diary", params={"pupil": pupil.id, "week": slot.date}, headers=parent)
    assert page.status_code == 200
    if kind == "homework":
        assert "№ 777" in page.text


async def test_feed_follows_a_renamed_subject(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    """A school-wide change (a subject's name) reaches the kept feed too."""
    pupil = gradebook.pupil("pupil")
    admin, parent = await as_user("admin"), await as_user("parent")
    created = await client.post(f"/api/v1/diary/{pupil.id}/feed", headers=parent)
    path = "/feeds/" + created.json()["url"].rsplit("/feeds/", 1)[1]
    first = await client.get(path)
    assert first.status_code == 200 and "Математика" in first.text
    subjects = (await client.get("/api/v1/subjects", headers=admin)).json()
    items = subjects["items"] if isinstance(subjects, dict) else subjects
    algebra = next(s for s in items if s["name"] == "Математика")
    renamed = await client.patch(
        f"/api/v1/subjects/{algebra['id']}", json={"name": "Математика и логика"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    changed = await client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and "Математика и логика" in changed.text


async def test_a_kept_answer_is_never_shown_to_another_reader(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    own = await client.get(f"/api/v1/diary/{pupil.id}", headers=await as_user("parent"))
    assert own.status_code == 200
    etag = {"If-None-Match": own.headers["etag"]}
    for login in ("teacher2", "pupil2"):
        other = await as_user(login)
        for suffix in ("", "/summary", "/news", ".ics"):
            path = f"/api/v1/diary/{pupil.id}{suffix}"
            assert (await client.get(path, headers=other)).status_code == 404, (login, path)
            assert (await client.get(path, headers={**other, **etag})).status_code == 404


async def test_every_read_is_recorded_even_unchanged(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    pupil = gradebook.pupil("pupil")
    parent, admin = await as_user("parent"), await as_user("admin")
    path = f"/api/v1/diary/{pupil.id}"
    first = await client.get(path, headers=parent)
    unchanged = await client.get(path, headers={**parent, "If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304
    summary = await client.get(f"{path}/summary", headers=parent)
    await client.get(
        f"{path}/summary", headers={**parent, "If-None-Match": summary.headers["etag"]}
    )
    log = await client.get("/api/v1/privacy/access-log", params={"pupil": pupil.id}, headers=admin)
    whats = [item["what"] for item in log.json()["items"]]
    assert sorted(whats) == ["diary", "diary", "diary.summary", "diary.summary"]


async def test_a_write_through_another_worker_is_seen(
    client: httpx.AsyncClient, as_user, gradebook: Gradebook, settings: Settings
) -> None:
    """Two app processes on one database (as ``serve --workers 2``): each keeps its own
    answers, and a mark written through one is seen on the next read through the other."""
    pupil = gradebook.pupil("pupil")
    slot = gradebook.recent_slots(gradebook.math_7a, 1)[0]
    parent, teacher = await as_user("parent"), await as_user("teacher")
    path = f"/api/v1/diary/{pupil.id}/summary"
    other = create_app(settings)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as second:
            kept = await second.get(path, headers=parent)
            assert kept.status_code == 200 and _maths(kept.json())["marks"] == []
            body = {"pupil_id": pupil.id, "slot_id": slot.id, "value": 3}
            assert (
                await client.post("/api/v1/marks", json=body, headers=teacher)
            ).status_code == 201
            fresh = await second.get(path, headers=parent)
            assert [m["value"] for m in _maths(fresh.json())["marks"]] == ["3"]

"""The live lessons' HTTP side: starting, listing, joining as an observer, ending, the report,
the QR code and the pages, through the app in-process."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.errors import TooManyRequests
from eschool.models import Role, School, User
from eschool.security import hash_password
from eschool.settings import Settings
from live import guesses
from live.queries import CODE_ALPHABET, code_display, code_normalize
from live.room import Actor
from live.services import (
    CodeGuesses,
    code_generate,
    observer_token_issue,
    observer_token_read,
)
from tests.conftest import token_for
from tests.live.ws_support import RIGHT_ANSWERS, World, seed_world
from tests.login_form import Clock, login_form_token, post_board_code

CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{2}}$")


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def auth(client: httpx.AsyncClient, world: World):
    """``await auth("teacher")`` → bearer headers of a demo user."""
    cache: dict[str, dict[str, str]] = {}

    async def headers(login: str) -> dict[str, str]:
        if login not in cache:
            cache[login] = {"Authorization": f"Bearer {await token_for(client, login)}"}
        return cache[login]

    return headers


async def start(client: httpx.AsyncClient, auth, world: World, **body: Any) -> dict[str, Any]:
    payload = {"lesson_id": world.lesson_id, "slot_id": world.slot_id, **body}
    response = await client.post("/api/v1/live", json=payload, headers=await auth("teacher"))
    assert response.status_code == 201, response.text
    return response.json()


# --- codes and passes --------------------------------------------------------------------------


def test_codes_avoid_lookalike_characters_and_read_back_however_typed() -> None:
    codes = {code_generate() for _ in range(500)}
    assert len(codes) == 500
    assert all(set(code) <= set(CODE_ALPHABET) and len(code) == 6 for code in codes)
    assert not set(CODE_ALPHABET) & set("0O1IL")
    assert code_display("K7QF29") == "K7QF-29"
    for typed in ("K7QF-29", "k7qf29", " k7qf - 29 ", "K7QF–29"):
        assert code_normalize(typed) == "K7QF29"
    for wrong in ("K7QF-2", "K0QF-29", "K7QF-291", "", "x" * 100):
        assert code_normalize(wrong) is None


def test_an_observer_pass_names_one_session_until_it_expires() -> None:
    token, observer = observer_token_issue(secret="s3cret", session_id=7, name="Guest", now=1000)
    assert observer.role == "observer" and observer.name == "Guest"
    assert observer_token_read(secret="s3cret", token=token, session_id=7, now=1001) == observer
    assert observer_token_read(secret="s3cret", token=token, session_id=8, now=1001) is None
    assert observer_token_read(secret="other", token=token, session_id=7, now=1001) is None
    late = 1000 + 13 * 3600
    assert observer_token_read(secret="s3cret", token=token, session_id=7, now=late) is None
    body, signature = token.split(".")
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + signature
    assert observer_token_read(secret="s3cret", token=forged, session_id=7, now=1001) is None
    # Not ASCII: refused like any forgery (it used to raise UnicodeEncodeError: a 500).
    odd = "ёж." + signature
    assert observer_token_read(secret="s3cret", token=odd, session_id=7, now=1001) is None
    assert isinstance(observer, Actor)


# --- starting ----------------------------------------------------------------------------------


async def test_a_teacher_starts_a_published_lesson(
    client: httpx.AsyncClient, auth, world: World
) -> None:
    body = await start(client, auth, world)
    assert CODE_SHAPE.match(body["code"])
    assert body["join_url"] == f"http://testserver/join?code={body['code']}"
    assert body["ws_url"] == f"ws://testserver/live/{body['code']}/ws"
    assert body["slot_id"] == world.slot_id and body["class_id"] == world.class_id
    assert isinstance(body["id"], int)
    second = await start(client, auth, world)
    assert second["code"] != body["code"]

    listed = await client.get("/api/v1/live", headers=await auth("teacher"))
    assert [item["code"] for item in listed.json()["items"]] == [second["code"], body["code"]]
    pupil_sees = await client.get("/api/v1/live", headers=await auth("pupil"))
    assert pupil_sees.json()["total"] == 2
    other_class = await client.get("/api/v1/live", headers=await auth(world.outsider.login))
    assert other_class.json() == {"items": [], "total": 0}


@pytest.mark.parametrize(
    ("login", "change", "status"),
    [
        ("pupil", {}, 403),
        ("teacher", {"lesson_id": 999_999}, 404),
        ("teacher2", {}, 404),  # the slot of a course teacher2 does not teach
        ("teacher", {"slot_id": None, "class_id": "7B"}, 403),  # a class not taught
        ("teacher", {"lesson_id": "one"}, 422),
    ],
)
async def test_who_may_start_what(
    client: httpx.AsyncClient, auth, world: World, login: str, change: dict, status: int
) -> None:
    body = {"lesson_id": world.lesson_id, "slot_id": world.slot_id, **change}
    if body.get("class_id") == "7B":
        body["class_id"] = world.class_id + 1
    response = await client.post("/api/v1/live", json=body, headers=await auth(login))
    assert response.status_code == status, response.text
    assert "error" in response.json()


async def test_a_lesson_without_a_slot_is_for_the_teachers_classes(
    client: httpx.AsyncClient, auth, world: World
) -> None:
    body = await start(client, auth, world, slot_id=None)
    assert body["class_id"] is None
    assert (await client.get("/api/v1/live", headers=await auth("pupil"))).json()["total"] == 0
    page = await client.get(f"/live/{body['code']}", headers=await auth("pupil"))
    assert page.status_code == 200
    # 7B is taught by nobody here: its pupils may not join.
    refused = await client.get(f"/live/{body['code']}", headers=await auth(world.outsider.login))
    assert refused.status_code == 403


# --- observers ---------------------------------------------------------------------------------


async def test_a_visitor_joins_with_the_code_and_a_name(
    client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    sloppy = code.replace("-", "").lower()
    response = await client.post(f"/live/{sloppy}/join", json={"name": "  Olga   Ivanova "})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == "observer" and body["name"] == "Olga Ivanova"
    assert body["code"] == code and body["token"]

    blank = await client.post(f"/live/{code}/join", json={"name": "   "})
    assert blank.status_code == 422
    unknown = await client.post("/live/ZZZZ-ZZ/join", json={"name": "Olga"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_code")
    not_json = await client.post(f"/live/{code}/join", content="name=Olga")
    assert not_json.status_code == 415


# --- ending and the report ---------------------------------------------------------------------


async def drive(app: Starlette, code: str, world: World) -> None:
    """A short lesson through the hub: the teacher and two pupils; one answers the quiz."""
    from live.protocol import parse_client_message

    room = code.replace("-", "")
    hub = app.state.hub
    teacher = Actor(world.teacher.id, "teacher", world.teacher.name)
    anna = Actor(world.pupils[0].id, "pupil", world.pupils[0].name)
    boris = Actor(world.pupils[1].id, "pupil", world.pupils[1].name)
    connections = [(await hub.join(room, who))[0] for who in (teacher, anna, boris)]

    def command(type_: str, data: dict[str, Any]) -> Any:
        envelope = {"type": type_, "id": f"{type_}-{time.monotonic_ns()}", "data": data}
        return parse_client_message(json.dumps(envelope))

    await hub.submit(room, teacher, command("quiz.open", {"block_id": "quiz1"}))
    await hub.submit(
        room, anna, command("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
    )
    for connection in connections:
        await hub.leave(connection)


async def test_the_end_stores_the_report_for_the_teacher(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    await drive(app, code, world)
    for login in ("pupil", "teacher2"):
        refused = await client.post(f"/live/{code}/end", headers=await auth(login))
        assert refused.status_code == 403
    ended = await client.post(f"/live/{code}/end", headers=await auth("teacher"))
    assert ended.status_code == 200, ended.text
    report = ended.json()
    anna, boris = world.pupils[:2]
    assert [p["id"] for p in report["participants"]] == [world.teacher.id, anna.id, boris.id]
    joined = {a["id"]: a["joined"] for a in report["attendance"]}
    assert joined[anna.id] and joined[boris.id] and sum(joined.values()) == 2
    results = {r["pupil_id"]: r for r in report["quiz"][0]["results"]}
    assert results[anna.id]["mark"] == "5" and results[anna.id]["percent"] == 100.0
    assert results[boris.id]["answered"] is False and results[boris.id]["mark"] is None

    again = await client.post(f"/live/{code}/end", headers=await auth("teacher"))
    assert again.json() == report
    fetched = await client.get(f"/live/{code}/report", headers=await auth("teacher"))
    assert {k: fetched.json()[k] for k in report} == report
    assert fetched.json()["session"]["status"] == "ended"
    assert (
        await client.get(f"/live/{code}/report", headers=await auth("admin"))
    ).status_code == 200
    assert (
        await client.get(f"/live/{code}/report", headers=await auth("pupil"))
    ).status_code == 403
    assert (await client.get("/api/v1/live", headers=await auth("teacher"))).json()["total"] == 0
    late = await client.post(f"/live/{code}/join", json={"name": "Late guest"})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "ended")


async def test_a_report_so_far_while_the_lesson_runs(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    await drive(app, code, world)
    running = await client.get(f"/live/{code}/report", headers=await auth("teacher"))
    assert running.status_code == 200
    assert running.json()["session"]["status"] == "active"
    assert running.json()["quiz"][0]["results"][0]["score"] == 6.0


async def test_another_schools_teacher_does_not_find_the_code(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    async with app.state.sessionmaker() as session:
        school = School(name="School No. 2", slug="school-2")
        session.add(school)
        await session.commit()
        session.add(
            User(
                school_id=school.id or 0,
                login="stranger",
                name="Stranger Teacher",
                role=Role.teacher,
                password_hash=hash_password("demo"),
            )
        )
        await session.commit()
    headers = await auth("stranger")
    for method, path in [("POST", "end"), ("GET", "report")]:
        response = await client.request(method, f"/live/{code}/{path}", headers=headers)
        assert response.status_code == 404, (path, response.text)


# --- pictures and pages ------------------------------------------------------------------------


async def test_the_qr_code_is_an_svg_made_here(client: httpx.AsyncClient) -> None:
    response = await client.get("/live/k7qf-29/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg") and "viewBox" in response.text
    assert "mm" not in response.text.split(">")[0]
    assert (await client.get("/live/nope/qr.svg")).status_code == 404


async def test_the_pages_send_each_person_to_their_view(
    client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    teacher, pupil = await auth("teacher"), await auth("pupil")

    index = await client.get("/live", headers=teacher)
    assert index.status_code == 200 and "Fractions" in index.text and code in index.text
    assert "Mathematics" in index.text  # today's slot to tie the lesson to
    assert (await client.get("/live", headers=pupil)).status_code == 200

    present = await client.get(f"/live/{code}/present", headers=teacher)
    assert present.status_code == 200 and f"/live/{code}/qr.svg" in present.text
    assert (await client.get(f"/live/{code}/present", headers=pupil)).status_code == 403
    assert (await client.get(f"/live/{code}", headers=pupil)).status_code == 200
    to_present = await client.get(f"/live/{code}", headers=teacher)
    assert (to_present.status_code, to_present.headers["location"]) == (
        303,
        f"/live/{code}/present",
    )

    # A visitor: the join form, then the observer's view with a pass in a cookie.
    assert (await client.get(f"/join?code={code}")).status_code == 200
    to_join = await client.get(f"/live/{code}/watch")
    assert (to_join.status_code, to_join.headers["location"]) == (303, f"/join?code={code}")
    # the visitor's form has a token before any session exists, like the sign-in form
    refused = await client.post("/join", data={"code": code, "name": "Guest"})
    assert refused.status_code == 403 and not _guest_cookies(client)
    form = await client.get(f"/join?code={code}")
    assert "path=/join" in form.headers.get("set-cookie", "").lower() or _has_nonce(client)
    data = {"code": code.lower(), "name": "Guest", "csrf_token": login_form_token(form.text)}
    joined = await client.post("/join", data=data)
    assert (joined.status_code, joined.headers["location"]) == (303, f"/live/{code}/watch")
    watch = await client.get(f"/live/{code}/watch")
    assert watch.status_code == 200 and '"token": "eyJ' in watch.text
    wrong = await client.post("/join", data={**data, "code": "ZZZZ-ZZ"})
    assert wrong.status_code == 404 and "No live lesson has this code." in wrong.text


def _guest_cookies(client: httpx.AsyncClient) -> list[str]:
    return [name for name in client.cookies if name.startswith("live_guest_")]


def _has_nonce(client: httpx.AsyncClient) -> bool:
    return any(cookie.name == "eschool_login" for cookie in client.cookies.jar)


async def guest_join(client: httpx.AsyncClient, code: str, name: str) -> httpx.Response:
    """The visitor's ``/join`` form, fetched and posted back with its token."""
    token = login_form_token((await client.get(f"/join?code={code}")).text)
    return await client.post("/join", data={"code": code, "name": name, "csrf_token": token})


async def test_the_report_page_and_the_json_share_the_address(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    code = (await start(client, auth, world))["code"]
    await drive(app, code, world)
    await client.post(f"/live/{code}/end", headers=await auth("teacher"))
    page = await client.get(
        f"/live/{code}/report", headers={**await auth("teacher"), "Accept": "text/html"}
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert world.pupils[0].name in page.text
    data = await client.get(f"/live/{code}/report", headers=await auth("teacher"))
    assert data.headers["content-type"] == "application/json"


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


async def test_the_lessons_pictures_reach_everyone_in_the_room(
    app: Starlette, client: httpx.AsyncClient, auth, world: World
) -> None:
    from eschool.uploads.services import upload_store_bytes
    from lessons import services as lessons
    from lessons.models import LessonCreate

    async with app.state.sessionmaker() as session:
        teacher = await session.get(User, world.teacher.id)
        assert teacher is not None
        picture = await upload_store_bytes(
            session, actor=teacher, uploads_dir=app.state.settings.uploads_dir, content=PNG
        )
        blocks = [{"kind": "image", "asset": picture.sha256, "alt": "a dot"}]
        lesson = await lessons.lesson_create(
            session, actor=teacher, data=LessonCreate(title="Dots", blocks=blocks)
        )
        await lessons.lesson_publish(session, actor=teacher, lesson_id=lesson.id or 0)
    started = await client.post(
        "/api/v1/live",
        json={"lesson_id": lesson.id, "slot_id": world.slot_id},
        headers=await auth("teacher"),
    )
    code = started.json()["code"]
    path = f"/live/{code}/assets/{picture.sha256}"

    as_pupil = await client.get(path, headers=await auth("pupil"))
    assert as_pupil.status_code == 200 and as_pupil.content == PNG
    assert as_pupil.headers["content-type"] == "image/png"
    assert (await client.get(path)).status_code == 401  # a visitor without a pass
    assert (await guest_join(client, code, "Guest")).status_code == 303
    assert (await client.get(path)).status_code == 200  # with the pass from /join
    other = f"/live/{code}/assets/{'0' * 64}"
    assert (await client.get(other, headers=await auth("pupil"))).status_code == 404


async def test_the_pages_speak_russian(client: httpx.AsyncClient, auth, world: World) -> None:
    client.cookies.set("lang", "ru")
    page = await client.get("/join")
    assert "Войти на онлайн-урок" in page.text and "Наблюдать как гость" in page.text
    listed = await client.get("/live", headers=await auth("teacher"))
    assert "Начать онлайн-урок" in listed.text


async def test_wrong_codes_are_counted_per_address_for_a_while(
    app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock.stop(monkeypatch)
    monkeypatch.setattr(guesses, "utcnow", clock)
    # two workers' counters: the count is in the database they share, not in either of them
    first, second = CodeGuesses(limit=3, window=60), CodeGuesses(limit=3, window=60)
    async with app.state.sessionmaker() as session:
        for counter in (first, second, first):
            await counter.check(session, "10.0.0.1")
            await counter.failed(session, "10.0.0.1")
        for counter in (first, second):
            with pytest.raises(TooManyRequests):
                await counter.check(session, "10.0.0.1")
        await second.check(session, "10.0.0.2")  # another address is not held up
        await CodeGuesses(kind="live:pair", limit=3).check(session, "10.0.0.1")  # nor a pairing
        clock.advance(61)
        await first.check(session, "10.0.0.1")  # the old mistakes have expired


async def test_a_visitor_who_keeps_guessing_codes_is_stopped(
    client: httpx.AsyncClient, auth, world: World, settings: Settings
) -> None:
    code = (await start(client, auth, world))["code"]
    # a second worker on the same database: the guesses made on either count on both
    worker = create_app(settings)
    async with worker.router.lifespan_context(worker):
        transport = httpx.ASGITransport(app=worker, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            for attempt in range(30):
                http = (client, other)[attempt % 2]
                path = f"/live/ZZZZ-{CODE_ALPHABET[attempt]}Z/join"
                assert (await http.post(path, json={"name": "X"})).status_code == 404
            for http in (client, other):
                stopped = await http.post(f"/live/{code}/join", json={"name": "X"})
                assert stopped.status_code == 429 and "Retry-After" in stopped.headers
            form_stopped = await guest_join(client, code, "X")  # the page's form says so too
            assert form_stopped.status_code == 429 and "Retry-After" in form_stopped.headers
            for attempt in range(10):  # pairing codes are counted on their own, as widely
                http = (client, other)[attempt % 2]
                form = {"code": f"ZZZ{CODE_ALPHABET[attempt]}ZZ"}
                assert (await post_board_code(http, form["code"])).status_code == 404
            for http in (client, other):
                stopped = await post_board_code(http, "ZZZZZZ")
                assert stopped.status_code == 429 and "Retry-After" in stopped.headers

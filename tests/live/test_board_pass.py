"""Pairing the board: the teacher's board pass and pairing code, ``/board`` on a computer where
nobody signs in, wrong, used and expired codes, and a board that connects but can change
nothing (a real server and the ``websockets`` client for the socket)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.broker.memory import MemoryBroker
from eschool.errors import NotFound
from eschool.settings import Settings
from live.board_pass import (
    PAIRING_SECONDS,
    board_pair,
    board_pass_issue,
    board_pass_read,
    pairing_claim,
    pairing_create,
)
from live.board_routes import PAIRING_GUESSES
from live.queries import CODE_ALPHABET
from tests.conftest import token_for
from tests.live.ws_support import (
    RIGHT_ANSWERS,
    LiveClient,
    ThreadServer,
    World,
    bearer,
    seed_world,
    start_lesson,
    ws_url,
)
from tests.login_form import post_board_code

CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{2}}$")


@pytest.fixture
async def world(settings: Settings, app: Starlette) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
async def lesson(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    teacher = {"Authorization": f"Bearer {await token_for(client, 'teacher')}"}
    body = {"lesson_id": world.lesson_id, "slot_id": world.slot_id}
    started = await client.post("/api/v1/live", json=body, headers=teacher)
    assert started.status_code == 201, started.text
    return {**started.json(), "teacher": teacher}


# --- passes and codes, in process ---------------------------------------------------------------


def test_a_board_pass_names_one_session_until_it_expires() -> None:
    token, board = board_pass_issue(secret="s", session_id=7, now=1000, ttl=60)
    assert token.startswith("board.") and board.role == "board"
    assert board_pass_read(secret="s", token=token, session_id=7, now=1059) == board
    assert board_pass_read(secret="s", token=token, session_id=7, now=1061) is None
    assert board_pass_read(secret="s", token=token, session_id=8, now=1000) is None
    assert board_pass_read(secret="other", token=token, session_id=7, now=1000) is None
    assert board_pass_read(secret="s", token=token[:-2] + "xx", session_id=7, now=1000) is None


async def test_a_pairing_code_works_once_and_expires() -> None:
    broker = MemoryBroker()
    await broker.connect()
    code, expires = await pairing_create(broker, session_id=5, now=1000)
    assert len(code) == 6 and expires == 1000 + PAIRING_SECONDS
    assert await pairing_claim(broker, code=code.lower(), now=1001) == 5
    assert await pairing_claim(broker, code=code, now=1002) is None  # used up
    late, _expires = await pairing_create(broker, session_id=5, now=1000)
    assert await pairing_claim(broker, code=late, now=1000 + PAIRING_SECONDS + 1) is None
    await broker.disconnect()


# --- the HTTP side ------------------------------------------------------------------------------


async def test_the_teacher_pairs_a_board_with_a_code(
    app: Starlette, client: httpx.AsyncClient, lesson: dict[str, Any]
) -> None:
    code = lesson["code"]
    issued = await client.post(f"/api/v1/live/{code}/board", headers=lesson["teacher"])
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert CODE_SHAPE.match(body["code"]) and body["code"] != code
    assert body["token"].startswith("board.")
    assert body["url"].endswith(f"/live/{code}/board")
    assert body["expires_in"] == PAIRING_SECONDS

    # The board computer: nobody signs in; /board takes the code.
    page = await client.get("/board")
    assert page.status_code == 200 and 'name="code"' in page.text
    assert (await client.get(f"/live/{code}/board")).headers["location"] == "/board"
    # Without the form's own token (a page elsewhere posting for this screen): refused.
    forged = await client.post("/board", data={"code": body["code"]})
    assert forged.status_code == 403
    paired = await post_board_code(client, body["code"].lower())
    assert paired.status_code == 303
    assert paired.headers["location"] == f"/live/{code}/board"
    board = await client.get(f"/live/{code}/board")
    assert board.status_code == 200
    assert '"view": "board"' in board.text and "board." in board.text
    # The code worked once.
    again = await post_board_code(client, body["code"])
    assert again.status_code == 404
    assert "wrong or has expired" in again.text

    # A code past its ten minutes is refused like a wrong one.
    broker = app.state.broker
    async with app.state.sessionmaker() as session:
        late, _expires = await pairing_create(broker, session_id=lesson["id"], now=1000)
        with pytest.raises(NotFound) as expired:
            await board_pair(
                session, code=late, broker=broker, secret="x", now=1000 + PAIRING_SECONDS + 1
            )
    assert expired.value.code == "bad_board_code"

    # A wrong code: a clear message; the lesson's join code: what to type instead.
    wrong = await post_board_code(client, "ZZZZ-ZZ")
    assert wrong.status_code == 404
    assert "This board code is wrong or has expired." in wrong.text
    join_code = await post_board_code(client, lesson["code"])
    assert join_code.status_code == 404 and "join code" in join_code.text
    # Whoever keeps guessing is stopped for a while.
    for _attempt in range(PAIRING_GUESSES - 3):
        await post_board_code(client, "ZZZZ-ZZ")
    stopped = await post_board_code(client, "ZZZZ-ZZ")
    assert stopped.status_code == 429


async def test_who_may_ask_for_a_board_pass(
    client: httpx.AsyncClient, lesson: dict[str, Any], world: World
) -> None:
    code = lesson["code"]
    for login, status in (("pupil", 403), (world.outsider.login, 403), ("admin", 403)):
        headers = {"Authorization": f"Bearer {await token_for(client, login)}"}
        response = await client.post(f"/api/v1/live/{code}/board", headers=headers)
        assert response.status_code == status, (login, response.text)
    assert (await client.post(f"/api/v1/live/{code}/board")).status_code == 401
    unknown = await client.post("/api/v1/live/ZZZZ-ZZ/board", headers=lesson["teacher"])
    assert unknown.status_code == 404
    # A pupil cannot open the board view either; the teacher can (the console's second window).
    pupil = {"Authorization": f"Bearer {await token_for(client, 'pupil')}"}
    assert (await client.get(f"/live/{code}/board", headers=pupil)).status_code == 403
    assert (await client.get(f"/live/{code}/board", headers=lesson["teacher"])).status_code == 200


# --- the socket: a board sees, and changes nothing ---------------------------------------------


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[ThreadServer, World]]:
    world = await seed_world(settings.database_url)
    running = ThreadServer(settings).start()
    yield running, world
    running.stop()


async def test_a_board_connects_with_its_pass_and_can_change_nothing(
    server: tuple[ThreadServer, World],
) -> None:
    running, world = server
    started = await start_lesson(running.base_url, world)
    code = started["code"]
    teacher_headers = await bearer(running.base_url, "teacher")
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        issued = (await http.post(f"/api/v1/live/{code}/board", headers=teacher_headers)).json()
    clients: list[LiveClient] = []

    async def connect(url: str, headers: dict[str, str] | None = None) -> LiveClient:
        client = await LiveClient.connect(url, headers=headers)
        clients.append(client)
        return client

    try:
        teacher = await connect(ws_url(running.ws_base, code), teacher_headers)
        by_query = await connect(ws_url(running.ws_base, code, token=issued["token"]))
        by_header = await connect(
            ws_url(running.ws_base, code), {"Authorization": f"Bearer {issued['token']}"}
        )
        second_window = await connect(ws_url(running.ws_base, code, view="board"), teacher_headers)
        boards = (by_query, by_header, second_window)
        for board in boards:
            welcome = await board.wait_for(lambda f: f["type"] == "welcome")
            assert welcome["data"]["you"]["role"] == "board"
            assert "answer" not in welcome["data"]["state"]["slides"][1]["questions"][0]
        # Every command the board sends is refused.
        for type_, data in (
            ("slide.goto", {"index": 1}),
            ("quiz.open", {"block_id": "quiz1"}),
            ("chat.post", {"text": "hi"}),
            ("board.show", {"chat": True}),
            ("timer.start", {"seconds": 60}),
        ):
            answer = await by_query.command(type_, data)
            assert (answer["type"], answer["error"]["code"]) == ("error", "forbidden")

        # A quiz: the board counts answers and gets no name and no answer.
        pupil_login = world.pupils[0].login
        pupil = await connect(
            ws_url(running.ws_base, code), await bearer(running.base_url, pupil_login)
        )
        await teacher.ok("quiz.open", {"block_id": "quiz1"})
        await pupil.ok("quiz.answer", {"block_id": "quiz1", "answers": RIGHT_ANSWERS})
        progress = await by_header.event("quiz.progress", answered=1)
        assert progress["data"] == {"block_id": "quiz1", "answered": 1, "pupils": 1}
        # The console sees the board come (a board, not a person of the class).
        came = await teacher.wait_for(
            lambda f: f["type"] == "presence.join" and f["data"]["person"]["role"] == "board",
            anywhere=True,
        )
        assert came["data"]["person"]["name"] == "Board"
        text = str(by_header.frames)
        assert world.pupils[0].name not in text and "Москва" not in text

        # A pupil may not open the board view; a pass for another lesson is no pass here.
        refused = await connect(
            ws_url(running.ws_base, code, view="board"),
            await bearer(running.base_url, pupil_login),
        )
        assert (await refused.wait_for(lambda f: True))["error"]["code"] == "forbidden"
        assert await refused.closed() == 4403
        other = await start_lesson(running.base_url, world)
        stranger = await connect(ws_url(running.ws_base, other["code"], token=issued["token"]))
        assert (await stranger.wait_for(lambda f: True))["error"]["code"] == "unauthorized"
        assert await stranger.closed() == 4401
    finally:
        for client in clients:
            await client.close()

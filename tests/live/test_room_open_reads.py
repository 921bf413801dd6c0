"""A room opens on its first join (at a bell, dozens open together): its lesson, its class's
roster and its stored log are read straight on the driver (eschool.direct_read), with no ORM
read; and the room is what the lesson says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from eschool.settings import Settings
from live.admission import admission_forget
from live.queries import code_normalize
from tests.live.ws_support import LiveClient, ThreadServer, World, bearer, start_lesson, ws_url


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(settings).start()
    yield running
    running.stop()


@pytest.fixture
def orm_statements() -> Iterator[list[str]]:
    """The SQL of every ORM statement run meanwhile, in any session of the process."""
    heard: list[str] = []

    def listen(state: Any) -> None:
        heard.append(str(state.statement))

    event.listen(Session, "do_orm_execute", listen)
    yield heard
    event.remove(Session, "do_orm_execute", listen)


async def test_a_rooms_first_join_opens_it_without_the_orm(
    server: ThreadServer, world: World, orm_statements: list[str]
) -> None:
    started = await start_lesson(server.base_url, world)
    code = code_normalize(str(started["code"]))
    assert code is not None
    teacher = await bearer(server.base_url, "teacher")
    pupil = await bearer(server.base_url, world.pupils[0].login)
    hub = server.app.state.hub
    assert hub.replica(code) is None  # nobody has joined: the room is not open here
    admission_forget(code)  # nor is the lesson kept for admission
    orm_statements.clear()
    clients: list[LiveClient] = []
    try:
        clients.append(
            first := await LiveClient.connect(ws_url(server.ws_base, code), headers=pupil)
        )
        welcome = await first.wait_for(lambda frame: frame.get("type") == "welcome")
        # (On PostgreSQL the presence event is stored through a session: a write.)
        assert [sql for sql in orm_statements if not sql.startswith("INSERT")] == []
        assert hub.replica(code) is not None
        # The room as the lesson and its class make it: the teacher sees every pupil of the
        # class, those not come yet as missing.
        clients.append(
            console := await LiveClient.connect(ws_url(server.ws_base, code), headers=teacher)
        )
        seen = await console.wait_for(lambda frame: frame.get("type") == "welcome")
    finally:
        for client in clients:
            await client.close()
    assert welcome["data"]["state"]["title"] == started["title"]
    assert len(welcome["data"]["state"]["slides"]) > 0
    people = seen["data"]["state"]["people"]
    expected = {pupil.name for pupil in world.pupils[1:]}
    assert {person["name"] for person in people["missing"]} == expected
    assert [person["name"] for person in people["present"]][:1] == [world.pupils[0].name]

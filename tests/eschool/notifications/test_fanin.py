"""Scale of the notifications: many open streams of one app share one broker subscription and
each gets only its own reader's notifications; a slow page loses pushes but gets its count
again; homework for a class takes the same number of SQL statements however big the class."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from eschool.models import Enrolment, Guardianship, Role, User
from eschool.notifications import notify
from eschool.notifications import routes as notification_routes
from eschool.notifications.live import CHANNEL, LiveStreams
from eschool.notifications.models import Notification
from eschool.queries import user_by_login
from eschool.seed import DemoPeople
from tests.gradebook import conftest as gradebook_fixtures
from tests.gradebook.test_queries import counted

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook

ARRIVAL = 15.0  # a bound so that a broken stream fails instead of hanging


class OpenStream:
    """``GET /api/v1/notifications/stream`` driven in-process (httpx's ASGI transport would
    wait for the end of the body): its Server-Sent Events as ``(event, data)``. ``hold()``
    makes the page stop reading (its sends wait) until ``release()``."""

    def __init__(self) -> None:
        self.status = 0
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self.reading = asyncio.Event()
        self.reading.set()
        self._buffer = ""

    def hold(self) -> None:
        self.reading.clear()

    def release(self) -> None:
        self.reading.set()

    async def next(self) -> tuple[str, dict[str, Any]]:
        return await asyncio.wait_for(self.events.get(), ARRIVAL)

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            return
        await self.reading.wait()
        self._buffer += message.get("body", b"").decode()
        while "\n\n" in self._buffer:
            block, self._buffer = self._buffer.split("\n\n", 1)
            name, data = "message", ""
            for line in block.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
            if data:
                self.events.put_nowait((name, json.loads(data)))


@asynccontextmanager
async def open_stream(app: Starlette, headers: dict[str, str]) -> AsyncIterator[OpenStream]:
    stream = OpenStream()
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/notifications/stream",
        "raw_path": b"/api/v1/notifications/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"accept", b"text/event-stream"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    task = asyncio.create_task(app(scope, receive, stream.send))
    try:
        name, first = await stream.next()
        assert (stream.status, name) == (200, "unread"), first
        yield stream
    finally:
        stream.release()
        gone.set()
        await asyncio.wait_for(task, ARRIVAL)


def _subscriptions(app: Starlette) -> int:
    """How many subscriptions to notification channels the (memory) broker holds."""
    broker = app.state.broker
    prefix = f"{broker.namespace}:{CHANNEL}"
    return sum(
        len(queues) for name, queues in broker.store.channels.items() if name.startswith(prefix)
    )


async def test_many_open_streams_share_one_subscription_and_get_only_their_own(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, people: DemoPeople
) -> None:
    streams: LiveStreams = app.state.notification_streams
    assert _subscriptions(app) == 1
    pupil, classmate = gradebook.pupil("pupil"), gradebook.classmate()
    readers = ["parent", "parent", "pupil", f"p.{classmate.login}", "teacher", "pupil2"]
    async with app.state.sessionmaker() as session:
        ids = {login: (await user_by_login(session, login)).id for login in set(readers)}
    async with (
        open_stream(app, await as_user("parent")) as parent_tab,
        open_stream(app, await as_user("parent")) as parent_tab2,
        open_stream(app, await as_user("pupil")) as pupil_page,
        open_stream(app, await as_user(f"p.{classmate.login}")) as other_parent,
        open_stream(app, await as_user("teacher")) as teacher_page,
        open_stream(app, await as_user("pupil2")) as other_class,
    ):
        pages = [parent_tab, parent_tab2, pupil_page, other_parent, teacher_page, other_class]
        assert streams.open_streams == len(pages)
        assert _subscriptions(app) == 1  # not one per open page

        slot = gradebook.past_slot(gradebook.math_7a)
        response = await client.patch(
            f"/api/v1/slots/{slot.id}", headers=await as_user("teacher"), json={"homework": "§ 4"}
        )
        assert response.status_code == 200, response.text
        # Then one notification for each reader alone: whatever a page got before its own
        # marker is everything it was sent about the homework.
        async with app.state.sessionmaker() as session:
            for login in sorted(set(readers)):
                await notify(
                    session,
                    school_id=people.school.id,
                    kind="news",
                    recipients=[ids[login]],
                    title="For {login}",
                    params={"login": login},
                    url="/",
                )
            await session.commit()
        for login, page in zip(readers, pages, strict=True):
            got = []
            while not got or got[-1]["kind"] != "news":
                name, item = await page.next()
                assert name == "notification", (login, name)
                got.append(item)
            assert got[-1]["title"] == f"For {login}", login
            homework = [item for item in got if item["kind"] == "homework"]
            if login in ("parent", "pupil"):
                assert [item["pupil_id"] for item in homework] == [pupil.id], login
            elif login == f"p.{classmate.login}":
                assert [item["pupil_id"] for item in homework] == [classmate.id], login
            else:
                assert homework == [], login
            # Every row a page was sent is its reader's own.
            async with app.state.sessionmaker() as session:
                for item in got:
                    row = await session.get(Notification, item["id"])
                    assert row is not None and row.user_id == ids[login], login
    assert streams.open_streams == 0
    assert _subscriptions(app) == 1


async def test_a_slow_page_drops_pushes_and_gets_its_count_again(
    app: Starlette, as_user, people: DemoPeople, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams: LiveStreams = app.state.notification_streams
    monkeypatch.setattr(streams, "queue_size", 1)
    monkeypatch.setattr(notification_routes, "HEARTBEAT_SECONDS", 0.2)
    async with app.state.sessionmaker() as session:
        parent = await user_by_login(session, "parent")
    async with open_stream(app, await as_user("parent")) as page:
        page.hold()
        (listener,) = streams._listeners[parent.id]
        for number in range(4):
            async with app.state.sessionmaker() as session:
                await notify(
                    session,
                    school_id=people.school.id,
                    kind="news",
                    recipients=[parent.id],
                    title=f"News {number}",
                    url="/",
                )
                await session.commit()
        async with asyncio.timeout(ARRIVAL):
            while not listener.missed:  # the queue was full: a push was dropped
                await asyncio.sleep(0.01)
        page.release()
        notifications = 0
        while True:
            name, data = await page.next()
            if name == "notification":
                notifications += 1
            if data.get("unread") == 4 and not listener.missed:
                break
        assert notifications < 4  # some were dropped, and the count is right again


async def test_homework_for_a_class_takes_the_same_statements_whatever_its_size(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, people: DemoPeople
) -> None:
    teacher = await as_user("teacher")
    slot = gradebook.past_slot(gradebook.math_7a)
    class_id = people.classes["7A"].id

    async def set_homework(text: str) -> int:
        with counted(app) as statements:
            response = await client.patch(
                f"/api/v1/slots/{slot.id}", headers=teacher, json={"homework": text}
            )
            assert response.status_code == 200, response.text
        return len(statements)

    async def homework_rows() -> int:
        async with app.state.sessionmaker() as session:
            rows = await session.exec(
                Notification.__table__.select().where(Notification.kind == "homework")
            )
            return len(rows.all())

    small = await set_homework("№ 1")
    class_size = len(gradebook.pupils_7a)
    assert await homework_rows() == 2 * class_size  # each pupil and their parent
    async with app.state.sessionmaker() as session:
        for number in range(25):
            pupil = User(
                school_id=people.school.id,
                login=f"extra{number}",
                name=f"Extra {number}",
                role=Role.pupil,
                password_hash="-",
            )
            parent = User(
                school_id=people.school.id,
                login=f"p.extra{number}",
                name=f"Parent {number}",
                role=Role.parent,
                password_hash="-",
            )
            session.add_all([pupil, parent])
            await session.flush()
            session.add(Enrolment(class_id=class_id, pupil_id=pupil.id))
            session.add(Guardianship(parent_id=parent.id, child_id=pupil.id))
        await session.commit()
    large = await set_homework("№ 2")
    assert await homework_rows() == 2 * class_size + 2 * (class_size + 25)
    assert large == small, (small, large)
    assert small < 40, small

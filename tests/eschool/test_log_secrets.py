"""No token, pass or secret link reaches the server's log: a real uvicorn server runs the
requests that create and use them, with every log record of the process captured (as
``eschool serve`` logs: the root at INFO, uvicorn's own loggers included)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from eschool.settings import Settings
from tests.live.ws_support import LiveClient, ThreadServer, World, seed_world, start_lesson
from tests.login_form import form_login, login_form_token, post_board_code

# The test's own clients log their requests; only what the server writes counts.
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("%(name)s %(message)s")
        return "\n".join(formatter.format(record) for record in self.records)


@contextmanager
def captured_logs() -> Iterator[Collect]:
    """Every record of the server's loggers at INFO and above, while the block runs."""
    handler = Collect()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access")]
    levels = {logger: logger.level for logger in loggers}
    for logger in (*loggers, logging.getLogger("uvicorn.error")):
        levels.setdefault(logger, logger.level)
        logger.setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


async def test_no_secret_reaches_the_log(settings: Settings, world: World) -> None:
    server = ThreadServer(settings)
    secrets: dict[str, str] = {}
    with captured_logs() as logs:
        server.start()
        try:
            async with httpx.AsyncClient(base_url=server.base_url) as pupil:
                assert (await form_login(pupil, "pupil")).status_code == 303
                secrets["session cookie"] = pupil.cookies["eschool_session"]
                secrets["device cookie"] = pupil.cookies["eschool_device"]
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                answer = await http.post(
                    "/api/v1/auth/token", json={"login": "parent", "password": "demo"}
                )
                secrets["api token"] = answer.json()["token"]
                parent = {"Authorization": f"Bearer {secrets['api token']}"}
                me = (await http.get("/api/v1/me", headers=parent)).json()
                child = me["children"][0]["id"]
                feed = await http.post(f"/api/v1/diary/{child}/feed", headers=parent)
                assert feed.status_code == 201, feed.text
                url = feed.json()["url"]
                secrets["feed secret"] = url.rsplit("/", 1)[1].removesuffix(".ics")
                assert (await http.get(url.replace(server.base_url, ""))).status_code == 200
                mistyped = url.replace(server.base_url, "").removesuffix(".ics")
                assert (await http.get(mistyped)).status_code == 404
                assert (
                    await http.get(url.replace(server.base_url, "") + "?x=1")
                ).status_code == 200

                live = await start_lesson(server.base_url, world)
                code = live["code"]
                joined = await http.post(f"/live/{code}/join", json={"name": "Inspector Ivanova"})
                secrets["observer pass"] = joined.json()["token"]
                media = await http.get(
                    f"/live/{code}/media",
                    headers={"Authorization": f"Bearer {secrets['observer pass']}"},
                )
                assert media.status_code < 500
            async with httpx.AsyncClient(base_url=server.base_url) as guest:
                token = login_form_token((await guest.get("/join")).text)
                data = {"code": code, "name": "Guest Petrov", "csrf_token": token}
                form = await guest.post("/join", data=data)
                assert form.status_code == 303
                secrets["observer cookie"] = next(
                    value for name, value in guest.cookies.items() if name.startswith("live_guest_")
                )
                assert (await guest.get(form.headers["location"])).status_code == 200
            async with httpx.AsyncClient(base_url=server.base_url) as http:
                teacher = await http.post(
                    "/api/v1/auth/token", json={"login": "teacher", "password": "demo"}
                )
                secrets["teacher token"] = teacher.json()["token"]
                board = await http.post(
                    f"/api/v1/live/{code}/board",
                    headers={"Authorization": f"Bearer {secrets['teacher token']}"},
                )
                assert board.status_code in (200, 201), board.text
                secrets["board pass"] = board.json()["token"]
                paired = await post_board_code(http, board.json()["code"])
                assert paired.status_code == 303, paired.text
                assert (await http.get(paired.headers["location"])).status_code == 200
            for name in ("observer pass", "board pass"):
                ws = f"{server.ws_base}/live/{code}/ws?token={secrets[name]}"
                watcher = await LiveClient.connect(ws)
                await watcher.wait_for(lambda frame: frame.get("type") == "welcome")
                await watcher.close()
        finally:
            server.stop()
    text = logs.text()
    for what, secret in secrets.items():
        assert secret and secret not in text, f"the {what} is in the log"
    access = [r.getMessage() for r in logs.records if r.name == "eschool.access"]
    assert any(line.startswith("GET /feeds/{secret}.ics 200") for line in access), access
    assert any(line.startswith("WS /live/{code}/ws 101") for line in access), access
    assert "GET /feeds/... 404" in "\n".join(access)
    assert not [line for line in access if code in line or "?" in line]

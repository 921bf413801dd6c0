"""Live media through the room's WebSocket: aiortc peers signal with ``rtc.*`` messages to a
real uvicorn server, which relays the teacher's numbered video and audio to every viewer.

The database plays no part in media: these tests run on SQLite only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from eschool.settings import Settings
from live.queries import code_normalize
from tests.live.rtc_clients import PublisherClient, SubscriberClient
from tests.live.rtc_media import increasing, needs_ice_interface
from tests.live.ws_support import (
    LiveClient,
    ThreadServer,
    World,
    bearer,
    observer_token,
    seed_world,
    start_lesson,
    ws_url,
)

pytestmark = needs_ice_interface


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: nothing here depends on the database."""
    path = tmp_path / "eschool.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def world(settings: Settings) -> World:
    return await seed_world(settings.database_url)


@pytest.fixture
def server_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings; an indirect integer parameter is the viewer limit."""
    limit = getattr(request, "param", None)
    return settings if limit is None else dataclasses.replace(settings, rtc_max_viewers=limit)


@pytest.fixture
def server(server_settings: Settings, world: World) -> Iterator[ThreadServer]:
    running = ThreadServer(server_settings).start()
    yield running
    running.stop()


# --- signalling helpers (the Redis variant uses them too) --------------------------------------


async def offer(client: LiveClient, role: str, sdp: str, kind: str = "camera") -> dict[str, Any]:
    """Send ``rtc.offer``; the ``rtc.answer`` frame (once its ack came too) or the error."""
    message_id = await client.send("rtc.offer", {"role": role, "kind": kind, "sdp": sdp})

    def answered(frame: dict[str, Any]) -> bool:
        if frame.get("type") == "rtc.answer":
            return frame["data"].get("id") == message_id
        return frame.get("type") == "error" and frame.get("id") == message_id

    reply = await client.wait_for(answered, anywhere=True)
    if reply["type"] == "rtc.answer":
        await client.wait_for(
            lambda f: f.get("type") == "ack" and f.get("id") == message_id, anywhere=True
        )
    return reply


@dataclasses.dataclass
class Peers:
    """The aiortc peers a test made, closed at its end."""

    made: list[PublisherClient | SubscriberClient] = dataclasses.field(default_factory=list)

    async def publish(self, client: LiveClient, kind: str = "camera") -> PublisherClient:
        """Publish numbered video and audio over ``client``'s room socket."""
        publisher = PublisherClient()
        self.made.append(publisher)
        reply = await offer(client, "publish", await publisher.offer(), kind)
        assert reply["type"] == "rtc.answer", reply
        await publisher.accept(reply["data"]["sdp"])
        return publisher

    async def subscribe(self, client: LiveClient) -> SubscriberClient:
        """Receive the room's media over ``client``'s room socket."""
        viewer = SubscriberClient()
        self.made.append(viewer)
        reply = await offer(client, "subscribe", await viewer.offer())
        assert reply["type"] == "rtc.answer", reply
        await viewer.accept(reply["data"]["sdp"])
        return viewer

    async def close(self) -> None:
        for peer in self.made:
            await peer.close()


async def spare_offer(peer: PublisherClient | SubscriberClient) -> str:
    """An offer from a peer that is hung up at once (for offers meant to be refused)."""
    try:
        return await peer.offer()
    finally:
        await peer.close()


async def media_status(base_url: str, code: str) -> dict[str, Any]:
    """``GET /live/{code}/media`` as the teacher."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.get(f"/live/{code}/media", headers=await bearer(base_url, "teacher"))
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for_status(base_url: str, code: str, **wanted: Any) -> dict[str, Any]:
    """Poll the media status until it shows ``wanted``."""
    seen: dict[str, Any] = {}

    async def matches() -> bool:
        nonlocal seen
        seen = await media_status(base_url, code)
        return all(seen.get(key) == value for key, value in wanted.items())

    for _attempt in range(100):
        if await matches():
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"the media status stayed {seen}, not {wanted}")


@dataclasses.dataclass
class Room:
    server: ThreadServer
    world: World
    code: str
    clients: list[LiveClient]
    tokens: dict[str, dict[str, str]]

    async def join(self, login: str) -> LiveClient:
        if login not in self.tokens:
            self.tokens[login] = await bearer(self.server.base_url, login)
        client = await LiveClient.connect(
            ws_url(self.server.ws_base, self.code), headers=self.tokens[login]
        )
        self.clients.append(client)
        return client

    async def observe(self, name: str = "Guest Galina") -> LiveClient:
        token = await observer_token(self.server.base_url, self.code, name)
        client = await LiveClient.connect(ws_url(self.server.ws_base, self.code, token=token))
        self.clients.append(client)
        return client


@pytest.fixture
async def room(server: ThreadServer, world: World) -> AsyncIterator[Room]:
    started = await start_lesson(server.base_url, world)
    opened = Room(server, world, started["code"], [], {})
    yield opened
    for client in opened.clients:
        await client.close()


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    made = Peers()
    yield made
    await made.close()


async def welcome_media(client: LiveClient) -> dict[str, Any]:
    welcome = await client.wait_for(lambda f: f["type"] == "welcome", anywhere=True)
    return welcome["data"]["state"]["media"]


# --- the tests -------------------------------------------------------------------------------


async def test_the_teachers_video_reaches_pupils_an_observer_and_a_late_joiner(
    room: Room, peers: Peers
) -> None:
    anna, boris = room.world.pupils[:2]
    teacher = await room.join("teacher")
    pupil = await room.join(anna.login)
    observer = await room.observe()
    assert (await welcome_media(pupil))["live"] is False

    await peers.publish(teacher)
    went_live = await pupil.event("rtc.state", live=True)
    assert went_live["data"]["kind"] == "camera"
    assert went_live["data"]["publisher"]["id"] == room.world.teacher.id
    assert (await observer.event("rtc.state", live=True))["data"]["publisher"]["role"] == "teacher"

    viewers = [await peers.subscribe(pupil), await peers.subscribe(observer)]
    for viewer in viewers:
        assert increasing(await viewer.wait_for_video(15))
        await viewer.wait_for_audio(10)

    # A pupil who comes later learns from the welcome that the lesson is on air, and watches.
    late_client = await room.join(boris.login)
    media = await welcome_media(late_client)
    assert media["live"] is True
    assert media["publisher"]["id"] == room.world.teacher.id
    late = await peers.subscribe(late_client)
    frames = await late.wait_for_video(10)
    assert increasing(frames)
    await late.wait_for_audio(5)
    status = await media_status(room.server.base_url, room.code)
    assert status["live"] is True
    assert status["viewers"] == 3
    assert status["peers"] == 4

    # The teacher stops: every viewer's tracks end and everyone is told.
    await teacher.ok("rtc.stop")
    for client in (pupil, observer, late_client):
        stopped = await client.event("rtc.state", live=False)
        assert stopped["data"]["reason"] == "stopped"
    for viewer in (*viewers, late):
        await viewer.wait_ended()
    await wait_for_status(room.server.base_url, room.code, peers=0, live=False)
    # Nothing live to subscribe to any more.
    refused = await offer(pupil, "subscribe", await spare_offer(SubscriberClient()))
    assert refused["error"]["code"] == "no_publisher"


async def test_fifty_joins_and_leaves_leave_no_peer_connection(room: Room, peers: Peers) -> None:
    pupils = room.world.pupils
    teacher = await room.join("teacher")
    watcher = await room.join(pupils[0].login)
    await peers.publish(teacher)
    await watcher.event("rtc.state", live=True)
    counter = itertools.count()

    async def cycle(pupil_index: int) -> None:
        number = next(counter)
        client = await room.join(pupils[1 + pupil_index].login)
        viewer = await peers.subscribe(client)
        await viewer.wait_for_video(1)
        if number % 2:  # half stop watching politely, the others just close their socket
            await client.ok("rtc.stop", {"role": "subscribe"})
            await viewer.wait_ended()
        await client.close()
        await viewer.close()

    for _round in range(10):
        await asyncio.gather(*(cycle(index) for index in range(5)))
    assert next(counter) == 50

    status = await wait_for_status(room.server.base_url, room.code, viewers=0, peers=1)
    assert status["process_peers"] == 1
    # The teacher's socket closing ends the publication and its peer connection.
    await teacher.close()
    stopped = await watcher.event("rtc.state", live=False)
    assert stopped["data"]["reason"] == "stopped"
    await wait_for_status(room.server.base_url, room.code, peers=0, process_peers=0)


@pytest.mark.parametrize("server_settings", [1], indirect=True)
async def test_viewers_beyond_the_limit_get_a_clear_refusal(room: Room, peers: Peers) -> None:
    anna, boris = room.world.pupils[:2]
    teacher = await room.join("teacher")
    first, second = await room.join(anna.login), await room.join(boris.login)
    await peers.publish(teacher)
    await first.event("rtc.state", live=True)
    await peers.subscribe(first)

    refused = await offer(second, "subscribe", await spare_offer(SubscriberClient()))
    assert refused["error"]["code"] == "too_many_viewers"
    assert "Too many people are watching" in refused["error"]["message"]
    status = await media_status(room.server.base_url, room.code)
    assert (status["viewers"], status["peers"]) == (1, 2)


async def test_who_may_show_video(room: Room, peers: Peers) -> None:
    anna, boris = room.world.pupils[:2]
    teacher = await room.join("teacher")
    pupil, other = await room.join(anna.login), await room.join(boris.login)
    observer = await room.observe()
    sdp = await spare_offer(PublisherClient())

    refused = await offer(observer, "publish", sdp)
    assert refused["error"]["code"] == "observer"
    refused = await offer(pupil, "publish", sdp, "screen")
    assert refused["error"]["code"] == "forbidden"
    refused = await observer.command("rtc.grant", {"user_id": anna.id})
    assert refused["error"]["code"] == "forbidden"

    # The teacher lets Anna share her screen (not her camera); Boris still may not.
    await teacher.ok("rtc.grant", {"user_id": anna.id})
    granted = await observer.event("rtc.grant")
    assert granted["data"]["person"] == {"role": "pupil"}  # observers never see a pupil's name
    assert (await other.event("rtc.grant"))["data"]["person"]["id"] == anna.id
    assert (await offer(pupil, "publish", sdp, "camera"))["error"]["code"] == "forbidden"
    assert (await offer(other, "publish", sdp, "screen"))["error"]["code"] == "forbidden"
    await peers.publish(pupil, "screen")
    shown = await teacher.event("rtc.state", live=True)
    assert shown["data"]["kind"] == "screen"
    assert shown["data"]["publisher"]["id"] == anna.id
    assert (await observer.event("rtc.state", live=True))["data"]["publisher"] == {"role": "pupil"}
    viewer = await peers.subscribe(teacher)
    await viewer.wait_for_video(3)
    late = await room.join(boris.login)
    media = await welcome_media(late)
    assert (media["live"], media["kind"], media["grant"]["id"]) == (True, "screen", anna.id)

    # Taking the right back stops her screen for everyone.
    await teacher.ok("rtc.grant", {"user_id": None})
    stopped = await other.event("rtc.state", live=False)
    assert stopped["data"]["reason"] == "stopped"
    await viewer.wait_ended()
    await wait_for_status(room.server.base_url, room.code, peers=0)
    refused = await offer(pupil, "publish", sdp, "screen")
    assert refused["error"]["code"] == "forbidden"

    # The teacher may show video at any time; the teacher showing replaces a pupil's screen.
    await teacher.ok("rtc.grant", {"user_id": anna.id})
    await peers.publish(pupil, "screen")
    await other.event("rtc.state", live=True)
    await peers.publish(teacher)
    replaced = await other.event("rtc.state", live=False)
    assert replaced["data"]["reason"] == "replaced"
    camera = await other.event("rtc.state", live=True)
    assert camera["data"]["publisher"]["id"] == room.world.teacher.id


async def test_the_end_of_the_lesson_closes_its_media(room: Room, peers: Peers) -> None:
    teacher = await room.join("teacher")
    pupil = await room.join(room.world.pupils[0].login)
    await peers.publish(teacher)
    await pupil.event("rtc.state", live=True)
    viewer = await peers.subscribe(pupil)
    await viewer.wait_for_video(3)

    async with httpx.AsyncClient(base_url=room.server.base_url) as http:
        ended = await http.post(
            f"/live/{room.code}/end", headers=await bearer(room.server.base_url, "teacher")
        )
    assert ended.status_code == 200, ended.text
    await viewer.wait_ended()
    status = await wait_for_status(room.server.base_url, room.code, peers=0)
    assert status["live"] is False


async def test_signalling_answers_what_it_cannot_use(room: Room) -> None:
    teacher = await room.join("teacher")
    observer = await room.observe()

    config_id = await observer.send("rtc.config")
    config = await observer.wait_for(lambda f: f["type"] == "rtc.config", anywhere=True)
    # No ICE server is configured: the browser must not ask a public one either.
    assert config["data"] == {"id": config_id, "ice_servers": []}
    refused = await teacher.command("rtc.offer", {"sdp": "v=0", "kind": "camera"})
    assert refused["error"]["code"] == "invalid"
    refused = await teacher.command("rtc.offer", {"role": "publish", "sdp": "not an offer"})
    assert refused["error"]["code"] == "bad_offer"
    refused = await teacher.command("rtc.candidate", {"candidate": "candidate:1 1 udp 1"})
    assert refused["error"]["code"] == "unsupported"
    # Stopping what one never started is harmless, for observers too.
    await observer.ok("rtc.stop", {"role": "subscribe"})
    await teacher.ok("rtc.stop")
    status = await media_status(room.server.base_url, room.code)
    assert status["peers"] == 0
    assert status["live"] is False


async def test_a_stale_live_state_is_corrected(room: Room, peers: Peers) -> None:
    """The log says live but no process homes the media (its home died): a viewer's
    subscription is refused and the room is told the video stopped."""
    teacher = await room.join("teacher")
    pupil = await room.join(room.world.pupils[0].login)
    hub = room.server.app.state.hub
    room_id = code_normalize(room.code)
    data = {"live": True, "kind": "camera", "publisher": room.world.teacher.id, "publication": 9}
    future = asyncio.run_coroutine_threadsafe(
        hub.emit(room_id, "rtc.state", {**data, "reason": "live"}), server_loop(room.server)
    )
    await asyncio.wrap_future(future)
    await pupil.event("rtc.state", live=True)

    refused = await offer(pupil, "subscribe", await spare_offer(SubscriberClient()))
    assert refused["error"]["code"] == "no_publisher"
    corrected = await teacher.event("rtc.state", live=False)
    assert corrected["data"]["reason"] == "stopped"


def server_loop(server: ThreadServer) -> asyncio.AbstractEventLoop:
    """The event loop the test server runs on (white box: its media listener's)."""
    return server.app.state.live_media.homes._listener.get_loop()


async def test_a_recorded_lesson_links_its_video_from_the_report(room: Room, peers: Peers) -> None:
    teacher = await room.join("teacher")
    pupil = await room.join(room.world.pupils[0].login)
    observer = await room.observe()
    refused = await pupil.command("rtc.record", {"on": True})
    assert refused["error"]["code"] == "forbidden"

    await teacher.ok("rtc.record", {"on": True})
    # Everyone is told the lesson is recorded, observers included.
    assert (await observer.event("rtc.record"))["data"] == {"on": True}
    await peers.publish(teacher)
    await pupil.event("rtc.state", live=True)
    viewer = await peers.subscribe(pupil)
    await viewer.wait_for_video(45)  # a second and a half of video
    await teacher.ok("rtc.stop")
    await pupil.event("rtc.state", live=False)
    late = await room.join(room.world.pupils[1].login)
    assert (await welcome_media(late))["recording"] is True

    base = room.server.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        found = await http.get(f"/live/{room.code}/report", headers=await bearer(base, "teacher"))
        assert found.status_code == 200, found.text
        recordings = found.json()["recordings"]
        assert len(recordings) == 1
        assert recordings[0]["size"] > 1000
        video = await http.get(recordings[0]["url"], headers=await bearer(base, "teacher"))
        assert video.status_code == 200
        assert video.headers["content-type"] == "video/webm"
        assert video.content[:4] == b"\x1a\x45\xdf\xa3"  # a Matroska/WebM file
        assert len(video.content) == recordings[0]["size"]
        as_pupil = await bearer(base, room.world.pupils[0].login)
        assert (await http.get(recordings[0]["url"], headers=as_pupil)).status_code == 403
        elsewhere = recordings[0]["url"].replace(recordings[0]["name"], "..%2Fsecret_key")
        assert (await http.get(elsewhere, headers=await bearer(base, "teacher"))).status_code == 404

    # Switched off, the next publication is not recorded; switched on while live, it is at once.
    await teacher.ok("rtc.record", {"on": False})
    for switch_on in (False, True):
        await peers.publish(teacher)
        await pupil.event("rtc.state", live=True)
        watching = await peers.subscribe(pupil)
        await watching.wait_for_video(10)
        if switch_on:
            await teacher.ok("rtc.record", {"on": True})
            await watching.wait_for_video(30)
        await teacher.ok("rtc.stop")
        await pupil.event("rtc.state", live=False)
        async with httpx.AsyncClient(base_url=base) as http:
            found = await http.get(
                f"/live/{room.code}/report", headers=await bearer(base, "teacher")
            )
        assert len(found.json()["recordings"]) == (2 if switch_on else 1)

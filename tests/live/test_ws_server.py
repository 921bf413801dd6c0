"""The protocol ``eschool serve`` runs (live.ws_server), served by uvicorn: frames written
without waiting go out once per tick, in one write per socket (the first with the handshake's
answer), in order with the ordinary sends and the close, and before the socket is closed when
the app returns; frames sent ``soon`` all wait for the tick's end; frames that may wait go out
together a little later, or with the next frame that may not."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from live import ws_writes
from live.ws_server import send_later_of, send_now_of, send_one_of
from live.ws_writes import text_frame


def _recording(send_now: Any, writes: list[bytes]) -> Callable[[], None]:
    """Record in ``writes`` what the socket behind ``send_now`` hands its transport from now
    on; returns what puts the transport back as it was."""
    transport = cast(Any, send_now).__self__.transport  # the protocol's
    write = transport.write

    def recorded(data: bytes) -> None:
        writes.append(bytes(data))
        write(data)

    transport.write = recorded

    def undo() -> None:
        transport.write = write

    return undo


async def _next_tick() -> None:
    """Let the loop run the tick's end (the flusher's callback) and the next tick begin."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def _welcomed(scope: Any, receive: Any, send: Any) -> Any:
    """Accept the socket, write it a welcome and let the tick end; its ``send_now``."""
    await receive()  # the connect
    send_now = send_now_of(scope)
    assert send_now is not None
    await send({"type": "websocket.accept"})
    assert send_now("welcome")
    await _next_tick()
    return send_now


class _App:
    """A socket app that mixes writes without waiting and ordinary sends, and records what
    reaches the transport."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "websocket"
        await receive()  # the connect
        send_now = send_now_of(scope)
        assert send_now is not None
        await send({"type": "websocket.accept"})
        undo = _recording(send_now, self.writes)
        assert self.writes == []  # the handshake's answer waits for the first frames
        assert send_now("one")
        assert send_now("two", "three")
        assert self.writes == []  # not yet: at the end of the tick, all at once
        await _next_tick()
        assert send_now("four")
        # An ordinary send writes what is pending first.
        await send({"type": "websocket.send", "text": "five"})
        assert send_now("six")
        await send({"type": "websocket.close", "code": 1000})
        undo()


@contextlib.asynccontextmanager
async def _served(app: Any) -> AsyncIterator[int]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ws="live.ws_server:LiveWebSocketProtocol",
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_frames_of_one_tick_go_out_in_one_write_and_in_order() -> None:
    app = _App()
    received = await _received_from(app)
    assert received == ["one", "two", "three", "four", "five", "six"]
    frame = {text: text_frame(text) for text in received}
    first, *rest = app.writes[:3]
    # The handshake's answer waited for the first frames of its tick.
    assert first.startswith(b"HTTP/1.1 101 ")
    assert first.endswith(b"\r\n\r\n" + frame["one"] + frame["two"] + frame["three"])
    assert rest == [frame["four"], frame["five"]]
    assert app.writes[3] == frame["six"]  # before the close frame


async def test_frames_sent_soon_wait_for_the_end_of_the_tick_even_the_first() -> None:
    writes: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        send_now = await _welcomed(scope, receive, send)
        undo = _recording(send_now, writes)
        for text in ("one", "two", "three"):  # events handed over together
            assert send_now(text, soon=True)
        assert writes == []  # not even the first on its own
        await _next_tick()
        assert send_now("four")  # a lone frame of a later tick: at once
        assert len(writes) == 2
        await send({"type": "websocket.close", "code": 1000})
        undo()

    received = await _received_from(app)
    assert received == ["welcome", "one", "two", "three", "four"]
    frame = {text: text_frame(text) for text in received}
    assert writes[:2] == [frame["one"] + frame["two"] + frame["three"], frame["four"]]


async def test_one_frame_at_a_time_keeps_the_rules_of_a_tick() -> None:
    writes: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        send_now, send_one = await _welcomed(scope, receive, send), send_one_of(scope)
        assert send_one is not None
        undo = _recording(send_now, writes)
        assert send_one("one", False)  # the socket's first of the tick: at once
        assert len(writes) == 1
        assert send_one("two", False) and send_now("three")  # the rest at the tick's end
        assert len(writes) == 1
        await _next_tick()
        assert send_one("four", True)  # more to come this tick: even the first waits
        assert send_one("five", False)
        assert len(writes) == 2
        await _next_tick()
        assert len(writes) == 3
        await send({"type": "websocket.close", "code": 1000})
        assert not send_one("six", False)  # closing: nothing is written, the caller queues it
        undo()

    received = await _received_from(app)
    assert received == ["welcome", "one", "two", "three", "four", "five"]
    frame = {text: text_frame(text) for text in received}
    assert writes[:3] == [
        frame["one"],
        frame["two"] + frame["three"],
        frame["four"] + frame["five"],
    ]


async def test_what_an_app_left_pending_goes_out_before_the_socket_closes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the connect
        await send({"type": "websocket.accept"})
        send_now = send_now_of(scope)
        assert send_now is not None and send_now("bye")  # and returns at once

    assert await _received_from(app, closed_with=None) == ["bye"]


async def test_frames_that_may_wait_go_out_together_or_with_one_that_may_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Long enough that only a frame that may not wait writes them here.
    monkeypatch.setattr(ws_writes, "UNHURRIED_SECONDS", 60.0)
    writes: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        send_now, send_later = await _welcomed(scope, receive, send), send_later_of(scope)
        assert send_later is not None
        undo = _recording(send_now, writes)
        for tick in range(3):  # a class arriving over several ticks
            assert send_later(f"joined {tick}")
            await asyncio.sleep(0)
        assert writes == []  # waiting for company
        assert send_now("slide")  # takes the waiting frames along, at the tick's end
        await _next_tick()
        await send({"type": "websocket.close", "code": 1000})
        undo()

    received = await _received_from(app)
    assert received == ["welcome", "joined 0", "joined 1", "joined 2", "slide"]
    frame = {text: text_frame(text) for text in received}
    assert writes[0] == frame["joined 0"] + frame["joined 1"] + frame["joined 2"] + frame["slide"]


async def test_frames_that_may_wait_go_out_on_their_own() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()  # the connect
        send_later = send_later_of(scope)
        assert send_later is not None
        await send({"type": "websocket.accept"})
        assert send_later("joined")
        await receive()  # until the client has it and leaves

    received = []
    async with _served(app) as port:
        client = await connect(f"ws://127.0.0.1:{port}/", compression=None)
        async with client, asyncio.timeout(10):
            received.append(await client.recv())
    assert received == ["joined"]


async def _received_from(app: Any, closed_with: int | None = 1000) -> list[str]:
    """What a client of ``app`` receives until the socket closes (with ``closed_with``, when
    one is given: else in any way)."""
    received = []
    async with _served(app) as port:
        client = await connect(f"ws://127.0.0.1:{port}/", compression=None)
        async with client:
            with contextlib.suppress(ConnectionClosed):
                async with asyncio.timeout(10):
                    async for message in client:
                        received.append(message)
        if closed_with is not None:
            assert client.close_code == closed_with
    return received

"""Which process homes each live room's media, and the requests between processes.

A room's media lives on one process, its *home*: the first process asked to publish claims it in
the broker (``media-home:<room>``, with a time to live that the home keeps refreshing while it
holds the room and lets lapse once the room has been idle for a while). Any other process
forwards its requests to the home on the home's channel (``media:<process>``) and waits for
the reply on its own. :class:`MediaHomes` is that bookkeeping; what a request *does* on the home
is the caller's (:class:`~live.media.MediaSignalling`), given as ``perform``.

Requests between processes (``op`` ``request``)::

    {"op": "request", "id", "reply_to": <process>, "room", "from": <participant's media id>,
     "kind": "publish" | "subscribe" | "leave" | "unpublish" | "enforce" | "close" | "status",
     "sdp"?, "media"?: "camera" | "screen", "actor"?: {"id","role","name"},
     "believed_live"?: bool, "allowed"?: <pupil id> | null}

and their replies ``{"op": "reply", "id", "ok": true, "sdp"? | "done"? | "status"?}`` or
``{"op": "reply", "id", "ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from eschool.broker.base import Broker

logger = logging.getLogger(__name__)

HOME_TTL_SECONDS = 10.0
# Long enough for a home to gather its ICE candidates (a STUN server may be slow to answer).
FORWARD_TIMEOUT_SECONDS = 20.0
# A home lets go of a room after this many refresh rounds without any peer connection.
IDLE_ROUNDS = 2
ATTEMPTS = 3

Perform = Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]]
RoomCallback = Callable[[str], Awaitable[None]]


def home_key(room_id: str) -> str:
    """The broker key naming the process that homes ``room_id``'s media."""
    return f"media-home:{room_id}"


def process_channel(process_id: str) -> str:
    """The broker channel on which a process takes media requests and replies."""
    return f"media:{process_id}"


class MediaError(Exception):
    """A signalling request refused; ``code`` goes into the client's ``error`` frame."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class MediaHomes:
    """The homes this process holds (claimed, refreshed, released) and its forwarded requests.

    ``perform(request)`` runs a request on this process and returns its reply (never raises);
    ``is_idle(room)`` says whether a room homed here has no peer connection left;
    ``let_go(room)`` closes an idle room here (and calls :meth:`release`); ``taken(room)`` is
    told when another process took a room homed here.
    """

    def __init__(
        self,
        *,
        broker: Broker,
        perform: Perform,
        is_idle: Callable[[str], bool],
        let_go: RoomCallback,
        taken: RoomCallback,
        process_id: str | None = None,
        home_ttl: float = HOME_TTL_SECONDS,
        forward_timeout: float = FORWARD_TIMEOUT_SECONDS,
    ) -> None:
        self.process_id = process_id or uuid.uuid4().hex
        self.forward_timeout = forward_timeout
        self._broker = broker
        self._perform = perform
        self._is_idle = is_idle
        self._let_go = let_go
        self._taken = taken
        self._home_ttl = home_ttl
        self._homed: dict[str, int] = {}  # room → refresh rounds it has been idle
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None

    # --- life ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on this process's channel and keep the homes it holds alive."""
        ready = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(ready), name="live-media-listener")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), 5.0)
        self._keeper = asyncio.create_task(self._keep_homes(), name="live-media-homes")

    async def stop_listening(self) -> None:
        """Stop refreshing homes and taking requests (the first step of shutting down)."""
        for task in (self._keeper, self._listener):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def close(self) -> None:
        """Fail the requests still waiting for a reply and the answers still running."""
        self._homed.clear()
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(MediaError("closed", "the server is shutting down"))
        self._waiting.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- claiming and releasing ----------------------------------------------------------------

    def held(self) -> list[str]:
        """The rooms homed here."""
        return list(self._homed)

    def forget(self, room_id: str) -> None:
        """Stop holding the room here (its key is released by :meth:`release`)."""
        self._homed.pop(room_id, None)

    async def home_of(self, room_id: str, *, claim: bool) -> str | None:
        """The process homing the room; claimed here when ``claim`` and nobody holds it."""
        if room_id in self._homed:
            return self.process_id
        key = home_key(room_id)
        for _attempt in range(ATTEMPTS):
            if claim and await self._broker.set_value(
                key, self.process_id, ttl=self._home_ttl, only_if_absent=True
            ):
                self._homed[room_id] = 0
                return self.process_id
            home = await self._broker.get_value(key)
            if home == self.process_id:
                self._homed[room_id] = 0
            if home is not None or not claim:
                return home
        raise MediaError("media_unavailable", "cannot claim the room's media home")

    async def hold(self, room_id: str) -> bool:
        """Whether this process homes the room (claiming it when nobody does)."""
        return await self.home_of(room_id, claim=True) == self.process_id

    async def release(self, room_id: str) -> None:
        """Give up the room's key (after :meth:`forget` and closing the room here), unless a
        request homed the room here again meanwhile."""
        key = home_key(room_id)
        if room_id not in self._homed and await self._broker.get_value(key) == self.process_id:
            await self._broker.delete_value(key)

    async def _keep_homes(self) -> None:
        """Refresh the homes held here; let go of rooms idle for a while or claimed elsewhere."""
        while True:
            await asyncio.sleep(self._home_ttl / 3)
            for room_id in list(self._homed):
                try:
                    await self._keep_home(room_id)
                except Exception:
                    logger.warning("live room %s: media home not refreshed", room_id, exc_info=True)

    async def _keep_home(self, room_id: str) -> None:
        key = home_key(room_id)
        holder = await self._broker.get_value(key)
        if holder not in (None, self.process_id):
            logger.warning("live room %s: media home taken by %s", room_id, holder)
            self._homed.pop(room_id, None)
            await self._taken(room_id)
            return
        rounds = self._homed.get(room_id, 0) + 1 if self._is_idle(room_id) else 0
        if rounds >= IDLE_ROUNDS:
            await self._let_go(room_id)
            return
        if room_id in self._homed:
            self._homed[room_id] = rounds
            await self._broker.set_value(key, self.process_id, ttl=self._home_ttl)

    # --- between processes ---------------------------------------------------------------------

    async def forward(
        self, home: str, request: dict[str, Any], patience: float | None = None
    ) -> dict[str, Any]:
        """Send ``request`` to the home process and wait for its reply."""
        request_id = uuid.uuid4().hex
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self._broker.publish(
                process_channel(home),
                {**request, "op": "request", "id": request_id, "reply_to": self.process_id},
            )
            return await asyncio.wait_for(future, patience or self.forward_timeout)
        except TimeoutError:
            logger.warning("live room %s: media home %s did not answer", request["room"], home)
            raise MediaError("media_unavailable", "the room's media home does not answer") from None
        finally:
            self._waiting.pop(request_id, None)

    async def _listen(self, ready: asyncio.Event) -> None:
        """Take requests and replies from this process's channel (resubscribing after a fault)."""
        while True:
            try:
                async with self._broker.subscribe_channel(
                    process_channel(self.process_id)
                ) as messages:
                    ready.set()
                    async for message in messages:
                        self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "media channel of %s lost; resubscribing", self.process_id, exc_info=True
                )
            await asyncio.sleep(1.0)

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        if message.get("op") == "reply":
            future = self._waiting.get(str(message.get("id")))
            if future is not None and not future.done():
                future.set_result(dict(message))
        elif message.get("op") == "request":
            self.spawn(self._answer_forwarded(message))

    async def _answer_forwarded(self, request: Mapping[str, Any]) -> None:
        reply = await self._perform(request)
        reply_to = request.get("reply_to")
        if isinstance(reply_to, str):
            await self._broker.publish(
                process_channel(reply_to), {**reply, "op": "reply", "id": request.get("id")}
            )

    def spawn(self, work: Awaitable[None]) -> asyncio.Task[None]:
        """Run ``work`` in the background, cancelled on :meth:`close`, its failure logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("media request failed", exc_info=task.exception())

"""The Redis broker: a Redis Stream per room, shared by every process of a school.

Entry ids are ``<seq>-<generation>``: one Lua script takes the next seq from the room's counter
and adds the entry, so every process sees one order with no gaps, and reading "after seq N" is
reading after the stream id ``N-0``. Dedupe keys live in a hash beside the stream, checked in the
same script. A log started by an append is generation 0; :meth:`RedisBroker.restore` (after
Redis lost the room: restarted without persistence, flushed) writes generation ``<Redis time in
µs>``, so a subscriber still reading the lost log notices the new one by its entry ids (a seq
seen twice, or another generation) and ends instead of skipping or mixing events. The room has a
log while its counter exists (and, once it counted events, its stream); ``existing_only``
appends check that in the same script, so a lost room is never silently restarted at seq 1.
Channels are Redis pub/sub; values are plain keys with a TTL.

Appends are batched per room: the appends of a room made while its previous script is on its way
(or in the same tick) go together in one script call, each event still getting its own seq,
dedupe check and answer, in the order they were made. A burst of commands is then one round
trip a tick instead of one each, and their seqs come back together and in order.

Connections come from two pools. Commands share a bounded blocking pool: when every connection is
busy (a thousand pupils joining at once) a command waits its turn instead of failing. What
listens for a long time (each subscription's blocking ``XREAD``, each channel's pub/sub) holds a
connection of its own from a second pool, given back when the subscription ends, so listeners
never starve commands of connections and commands never hold up listeners.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.exceptions import RedisError

from eschool.broker.base import (
    DEDUPE_TTL_SECONDS,
    DEFAULT_NAMESPACE,
    DEFAULT_READ_LIMIT,
    Broker,
    BrokerError,
    Event,
    LogBounds,
    LogMissing,
    one_by_one,
)
from eschool.broker.redis_scripts import APPEND_SCRIPT, RESTORE_SCRIPT

# The socket timeout (unless the URL sets one): a blocking read must return before it.
_SOCKET_TIMEOUT_SECONDS = 5.0
_BLOCK_MS = 2_000
# The most events of one room one append script takes (what waits beyond goes in the next).
_APPEND_BATCH = 256
_ROOM_TTL_SECONDS = 2 * 24 * 3600
# Commands of one process share this many connections (the URL's ?max_connections= wins)...
DEFAULT_MAX_CONNECTIONS = 64
# ...and wait this long for a free one before the broker gives up (BrokerError).
DEFAULT_POOL_TIMEOUT_SECONDS = 10.0
# Listeners need one connection each whatever the load: one per followed room and channel.
_MAX_LISTENING_CONNECTIONS = 100_000


@contextmanager
def _as_broker_error() -> Iterator[None]:
    """Redis failures (unreachable, no free connection in time) as the contract's error."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise BrokerError(f"Redis: {exc}") from exc


# Stream entries as this broker's clients return them: redis-py types every reply for any
# client (bytes or str, maybe None); ours decode responses, so an entry is its id and fields.
_Entries = list[tuple[str, dict[str, str]]]


def _entry_seq(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])


def _entry_generation(entry_id: str) -> str:
    return entry_id.partition("-")[2]


def _decode(entry_id: str, fields: dict[str, str]) -> Event:
    return {**json.loads(fields["e"]), "seq": _entry_seq(entry_id)}


def _text(event: Event) -> str:
    """An event as the log holds it: its JSON without the seq."""
    return json.dumps(
        {key: value for key, value in event.items() if key != "seq"},
        ensure_ascii=False,
        separators=(",", ":"),
    )


class _Appending:
    """One append waiting for its room's next script: the answer is ``(kind, seq, JSON)`` as
    the script gives it."""

    __slots__ = ("answer", "dedupe_key", "existing_only", "text")

    def __init__(self, text: str, dedupe_key: str | None, existing_only: bool) -> None:
        self.text = text
        self.dedupe_key = dedupe_key or ""
        self.existing_only = "1" if existing_only else "0"
        self.answer: asyncio.Future[tuple[int, int, str]] = (
            asyncio.get_running_loop().create_future()
        )


class RedisBroker(Broker):
    """A :class:`~eschool.broker.base.Broker` on Redis (``redis://`` or ``rediss://``)."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        max_events: int | None = None,
        room_ttl: int = _ROOM_TTL_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.max_events = max_events
        self.room_ttl = room_ttl
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout
        self._client: aioredis.Redis | None = None
        self._listener: aioredis.Redis | None = None
        self._append: Any = None
        self._restore: Any = None
        # Per room: the appends waiting for its next script, and the task that sends them.
        self._appending: dict[str, list[_Appending]] = {}
        self._appenders: dict[str, asyncio.Task[None]] = {}

    @property
    def client(self) -> aioredis.Redis:
        """The redis-py client; only after :meth:`connect`."""
        if self._client is None:
            raise BrokerError("the Redis broker is not connected")
        return self._client

    def _keys(self, room: str) -> tuple[str, str, str, str]:
        # The braces make the keys of a room share one Redis Cluster slot.
        base = f"{self.namespace}:room:{{{room}}}"
        return f"{base}:log", f"{base}:seq", f"{base}:dedupe", f"{base}:gen"

    @property
    def listener(self) -> aioredis.Redis:
        """The client whose pool gives each subscription its own connection."""
        if self._listener is None:
            raise BrokerError("the Redis broker is not connected")
        return self._listener

    def connections_in_use(self) -> dict[str, int]:
        """How many connections are checked out now: ``{"commands": n, "listening": m}``
        (for health checks; a listening connection is held by a live subscription)."""
        return {
            "commands": _in_use(self.client.connection_pool),
            "listening": _in_use(self.listener.connection_pool),
        }

    async def connect(self) -> None:
        """Create the pools and clients (connections are opened on first use)."""
        options: dict[str, Any] = {**parse_url(self.url), "decode_responses": True}
        options.setdefault("socket_timeout", _SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_connect_timeout", _SOCKET_TIMEOUT_SECONDS)
        max_connections = int(options.pop("max_connections", None) or self.max_connections)
        commands = aioredis.BlockingConnectionPool(
            max_connections=max_connections, timeout=self.pool_timeout, **options
        )
        listening = aioredis.ConnectionPool(max_connections=_MAX_LISTENING_CONNECTIONS, **options)
        self._client = aioredis.Redis(connection_pool=commands)
        self._listener = aioredis.Redis(connection_pool=listening)
        self._append = self._client.register_script(APPEND_SCRIPT)
        self._restore = self._client.register_script(RESTORE_SCRIPT)

    async def disconnect(self) -> None:
        """Close every connection of both pools (open subscriptions end with an error)."""
        client, listener = self._client, self._listener
        self._client = self._listener = None
        for each in (listener, client):
            if each is not None:
                await each.aclose()
                await each.connection_pool.aclose()

    async def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError, BrokerError):
            return False

    async def append(
        self,
        room: str,
        event: Event,
        *,
        dedupe_key: str | None = None,
        existing_only: bool = False,
    ) -> Event:
        """Append atomically with the next seq (see :meth:`Broker.append`), in one script with
        the room's other appends of the moment (see the module)."""
        text = _text(event)
        appending = _Appending(text, dedupe_key, existing_only)
        self._appending.setdefault(room, []).append(appending)
        if room not in self._appenders:
            self._appenders[room] = asyncio.create_task(
                self._send_appends(room), name=f"redis-append-{room}"
            )
        kind, seq, stored = await appending.answer
        if kind < 0:
            raise LogMissing(f"Redis holds no log of room {room!r}")
        if kind == 0:
            stored = text  # appended: Redis holds what was sent
        if not stored:
            return {"seq": seq}
        return {**json.loads(stored), "seq": seq}

    async def _send_appends(self, room: str) -> None:
        """The room's appender: one script for whatever appends wait, until none do."""
        waiting: list[_Appending] = []
        try:
            while queued := self._appending.pop(room, None):
                waiting, rest = queued[:_APPEND_BATCH], queued[_APPEND_BATCH:]
                if rest:
                    self._appending[room] = rest + self._appending.get(room, [])
                args: list[Any] = [self.max_events or 0, DEDUPE_TTL_SECONDS, self.room_ttl]
                for each in waiting:
                    args += [each.text, each.dedupe_key, each.existing_only]
                try:
                    with _as_broker_error():
                        reply = await self._append(keys=list(self._keys(room)), args=args)
                except Exception as exc:  # each caller gets it (BrokerError for Redis failures)
                    for each in waiting:
                        if not each.answer.done():
                            each.answer.set_exception(exc)
                    waiting = []
                    continue
                for index, each in enumerate(waiting):
                    kind, seq, stored = reply[3 * index : 3 * index + 3]
                    if not each.answer.done():
                        each.answer.set_result((int(kind), int(seq), stored))
                waiting = []
        finally:
            # Stopped (disconnect, shutdown): nobody waits for an answer that will not come.
            del self._appenders[room]
            for each in [*waiting, *self._appending.pop(room, [])]:
                if not each.answer.done():
                    each.answer.set_exception(BrokerError("Redis: the append was not sent"))

    async def has_log(self, room: str) -> bool:
        """Whether Redis holds ``room``'s log (see :meth:`Broker.has_log`)."""
        log, counter, _, _ = self._keys(room)
        with _as_broker_error():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.get(counter)
                pipe.exists(log)
                last, streams = await pipe.execute()
        return last is not None and (last == "0" or streams == 1)

    async def restore(self, room: str, events: Sequence[Event]) -> bool:
        """Start ``room``'s log as ``events`` in one script, unless it has one (see
        :meth:`Broker.restore`)."""
        args: list[Any] = [self.max_events or 0, self.room_ttl]
        for event in events:
            args += [int(event["seq"]), _text(event)]
        with _as_broker_error():
            return bool(await self._restore(keys=list(self._keys(room)), args=args))

    async def read(
        self, room: str, after_seq: int = 0, limit: int = DEFAULT_READ_LIMIT
    ) -> list[Event]:
        """Retained events after ``after_seq``, oldest first."""
        log = self._keys(room)[0]
        with _as_broker_error():
            entries = cast(
                _Entries,
                await self.client.xrange(log, min=f"{after_seq + 1}-0", max="+", count=limit),
            )
        return [_decode(entry_id, fields) for entry_id, fields in entries]

    async def bounds(self, room: str) -> LogBounds:
        """The retained range of ``room``'s log."""
        log, counter, _, _ = self._keys(room)
        with _as_broker_error():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.xrange(log, min="-", max="+", count=1)
                pipe.get(counter)
                oldest, last = await pipe.execute()
        last_seq = int(last or 0)
        return LogBounds(first=_entry_seq(oldest[0][0]) if oldest else last_seq + 1, last=last_seq)

    async def _follow(
        self, reader: aioredis.Redis, room: str, position: int
    ) -> AsyncIterator[list[Event]]:
        """The room's events after ``position``, as each ``XREAD`` brings them."""
        log = self._keys(room)[0]
        # Read on after the entry of ``position`` itself, so that a restored log (another
        # generation) shows itself with that seq again or with its generation.
        last_id, generation = f"{position}-0", None
        if position > 0:
            with _as_broker_error():
                found = cast(
                    _Entries,
                    await reader.xrange(log, min=str(position), max=str(position), count=1),
                )
            if found:
                last_id = found[0][0]
                generation = _entry_generation(last_id)
        while self._listener is not None:  # until disconnect()
            try:
                reply = await reader.xread({log: last_id}, count=500, block=_BLOCK_MS)
            except (RedisError, OSError) as exc:
                if self._listener is None:
                    return  # disconnect() closed the connection: the subscription ends
                raise BrokerError(f"Redis: {exc}") from exc
            # RESP3 answers {stream: entries}, RESP2 [[stream, entries]], nothing when idle.
            streams = cast(
                Iterable[tuple[str, _Entries]],
                reply.items() if isinstance(reply, dict) else reply or [],
            )
            for _stream, entries in streams:
                batch = []
                for entry_id, fields in entries:
                    seq = _entry_seq(entry_id)
                    if generation not in (None, _entry_generation(entry_id)):
                        raise BrokerError(f"the log of {room!r} was restored: another log now")
                    if seq != position + 1:
                        raise BrokerError(
                            f"events after {position} of {room!r} are no longer retained"
                        )
                    position, last_id, generation = seq, entry_id, _entry_generation(entry_id)
                    batch.append(_decode(entry_id, fields))
                if batch:
                    yield batch

    def subscribe(
        self, room: str, *, after_seq: int | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Follow ``room``'s log (see :meth:`Broker.subscribe`) on a connection of its own,
        given back to the listening pool when the block ends."""
        return one_by_one(self.subscribe_batches(room, after_seq=after_seq))

    @asynccontextmanager
    async def subscribe_batches(
        self, room: str, *, after_seq: int | None = None
    ) -> AsyncIterator[AsyncIterator[list[Event]]]:
        """Follow ``room``'s log, the events of one ``XREAD`` together (see
        :meth:`Broker.subscribe_batches`), on a connection of its own, given back to the
        listening pool when the block ends."""
        if after_seq is None:
            after_seq = (await self.bounds(room)).last
        reader = self.listener.client()
        try:
            with _as_broker_error():
                await reader.initialize()  # takes the connection now
            batches = self._follow(reader, room, after_seq)
            try:
                yield batches
            finally:
                await batches.aclose()  # type: ignore[attr-defined]
        finally:
            await reader.aclose()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        """Publish on the namespaced Redis channel."""
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        with _as_broker_error():
            await self.client.publish(f"{self.namespace}:chan:{channel}", text)

    @asynccontextmanager
    async def subscribe_channel(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Receive what is published on ``channel`` once Redis confirmed the subscription (on
        a connection of the listening pool, given back when the block ends)."""
        name = f"{self.namespace}:chan:{channel}"
        pubsub = self.listener.pubsub()
        try:
            await pubsub.subscribe(name)
            # Wait for the confirmation, so a message published right after entering is seen.
            while True:
                confirmation = await pubsub.get_message(timeout=_BLOCK_MS / 1000)
                if confirmation is not None and confirmation["type"] == "subscribe":
                    break

            async def messages() -> AsyncIterator[dict[str, Any]]:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        yield json.loads(message["data"])

            yield messages()
        finally:
            await pubsub.aclose()

    async def set_value(
        self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False
    ) -> bool:
        """Store ``value`` (see :meth:`Broker.set_value`)."""
        expire_ms = max(1, int(ttl * 1000)) if ttl is not None else None
        with _as_broker_error():
            stored = await self.client.set(
                f"{self.namespace}:value:{key}", value, px=expire_ms, nx=only_if_absent
            )
        return bool(stored)

    async def get_value(self, key: str) -> str | None:
        """The value under ``key``, if it has not expired."""
        with _as_broker_error():
            value = await self.client.get(f"{self.namespace}:value:{key}")
        return None if value is None else str(value)

    async def delete_value(self, key: str) -> None:
        """Forget ``key``."""
        with _as_broker_error():
            await self.client.delete(f"{self.namespace}:value:{key}")

    async def drop(self, room: str) -> None:
        """Delete the room's stream, counter, dedupe and generation keys."""
        with _as_broker_error():
            await self.client.delete(*self._keys(room))


def _in_use(pool: aioredis.ConnectionPool) -> int:
    _idle, in_use = pool.get_connection_count()  # [(count, attributes)]: idle, then in use
    return in_use[0]

"""The baseline of the live benchmarks: a bare ``websockets`` broadcast server.

No app, no auth, no JSON decoding: every connection gets a small ``welcome`` frame (so clients
know they are in, as with the app), and every text message a connection sends is passed to
``websockets.broadcast`` once, to every open connection of the same request path (a "room"),
as it came. Compression is off, as it
is for the app's clients. Runs on uvloop when available, like uvicorn does.

``python -m bench.baseline_ws --port P`` serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

WELCOME = '{"v":1,"type":"welcome","seq":0,"data":{}}'


async def run(host: str, port: int) -> None:
    """Serve until a termination signal arrives."""
    rooms: dict[str, set[ServerConnection]] = {}

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        room = rooms.setdefault(path, set())
        room.add(connection)
        try:
            await connection.send(WELCOME)
            async for message in connection:
                broadcast(room, message)
        finally:
            room.discard(connection)
            if not room:
                rooms.pop(path, None)

    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.cancel)
    async with serve(handler, host, port, compression=None, max_size=1 << 20, backlog=4096):
        with contextlib.suppress(asyncio.CancelledError):
            await stop


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's own event loop")
    args = parser.parse_args()
    runner = asyncio.run
    if not args.no_uvloop:
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
            pass
    runner(run(args.host, args.port))


if __name__ == "__main__":
    main()

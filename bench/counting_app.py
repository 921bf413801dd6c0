"""The app as ``eschool serve`` runs it, plus a count of the SQL statements it executes.

A bench-only ASGI wrapper around :func:`eschool.app.create_app`: a ``before_cursor_execute``
listener on every SQLAlchemy engine counts statements, and ``GET /_bench/sql`` (answered here,
before the app sees it) returns ``{"statements": n}``. The journal benchmark reads the count
before and after one request made alone, so the difference is that request's statements.

``python -m bench.counting_app --port P`` serves it with the options of ``eschool serve``.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

COUNT_PATH = "/_bench/sql"


class StatementCounter:
    """Counts the statements every engine of this process sends to its database."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, *_args: Any, **_kwargs: Any) -> None:
        self.statements += 1


class CountingApp:
    """ASGI: ``GET /_bench/sql`` → the count so far; everything else goes to the app."""

    def __init__(self, app: ASGIApp, counter: StatementCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == COUNT_PATH:
            body = json.dumps({"statements": self.counter.statements}).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def create() -> CountingApp:
    """The uvicorn factory: the app with the statement counter attached."""
    from eschool.app import create_app

    counter = StatementCounter()
    # Listening on the Engine class reaches the engine the app makes in its lifespan.
    event.listen(Engine, "before_cursor_execute", counter)
    return CountingApp(create_app(), counter)


def main() -> None:
    """Serve like ``eschool serve`` does (no migrations: the benchmark seeded the database)."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "bench.counting_app:create",
        factory=True,
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        access_log=False,
        proxy_headers=True,
        log_level="info",
    )


if __name__ == "__main__":
    main()

"""The Redis and PostgreSQL a benchmark may use, isolated: a fresh key namespace on Redis
and a scratch database on PostgreSQL, each cleaned away afterwards."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit


def redis_base_url() -> str | None:
    """The Redis to use: ``ESCHOOL_BENCH_REDIS_URL``, else ``ESCHOOL_TEST_REDIS_URL``."""
    return os.environ.get("ESCHOOL_BENCH_REDIS_URL") or os.environ.get("ESCHOOL_TEST_REDIS_URL")


def redis_reachable(url: str) -> bool:
    """Whether a Redis answers at ``url``."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def with_namespace(url: str, namespace: str) -> str:
    """``url`` with ``?namespace=`` set (the broker prefixes every key with it)."""
    parts = urlsplit(url)
    query = "&".join(q for q in [parts.query, urlencode({"namespace": namespace})] if q)
    return urlunsplit(parts._replace(query=query))


@contextlib.contextmanager
def redis_namespace(url: str) -> Iterator[str]:
    """A broker URL on ``url`` with a fresh ``bench-…`` namespace, whose keys are deleted after."""
    import redis

    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    try:
        yield with_namespace(url, namespace)
    finally:
        with contextlib.suppress(redis.RedisError, OSError):
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
            try:
                keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
                for start in range(0, len(keys), 1000):
                    client.delete(*keys[start : start + 1000])
            finally:
                client.close()


def postgres_base_url() -> str | None:
    """The PostgreSQL to use: ``ESCHOOL_BENCH_POSTGRES_URL``, else ``ESCHOOL_TEST_POSTGRES_URL``."""
    return os.environ.get("ESCHOOL_BENCH_POSTGRES_URL") or os.environ.get(
        "ESCHOOL_TEST_POSTGRES_URL"
    )


@contextlib.asynccontextmanager
async def postgres_database(base_url: str) -> AsyncIterator[str]:
    """A scratch database on the server of ``base_url``, dropped afterwards; yields its URL."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from eschool.db import create_engine

    name = f"eschool_bench_{uuid.uuid4().hex[:10]}"
    base = make_url(base_url)
    admin = create_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()

"""Event brokers for live rooms; :func:`create_broker` picks one by URL scheme."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from eschool.broker.base import (
    DEFAULT_NAMESPACE,
    Broker,
    BrokerError,
    Event,
    LogBounds,
    LogClosed,
    LogMissing,
)

__all__ = [
    "Broker",
    "BrokerError",
    "Event",
    "LogBounds",
    "LogClosed",
    "LogMissing",
    "create_broker",
]


def create_broker(url: str, *, namespace: str | None = None) -> Broker:
    """The broker for ``url``: ``memory://`` (one process) or ``redis://`` / ``rediss://``.

    Every key the broker uses starts with a namespace: ``namespace`` when given, else the URL's
    ``?namespace=`` query parameter, else ``"eschool"``. Backends are imported only when chosen.
    Raises ``ValueError`` for any other scheme.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    from_url = [value for key, value in query if key == "namespace"]
    chosen = namespace or (from_url[-1] if from_url else "") or DEFAULT_NAMESPACE
    rest = urlunsplit(
        parts._replace(query=urlencode([(k, v) for k, v in query if k != "namespace"]))
    )
    if parts.scheme == "memory":
        from eschool.broker.memory import MemoryBroker

        return MemoryBroker(namespace=chosen)
    if parts.scheme in ("redis", "rediss"):
        from eschool.broker.redis import RedisBroker

        return RedisBroker(rest, namespace=chosen)
    raise ValueError(f"unsupported broker URL scheme {parts.scheme!r} (use memory:// or redis://)")

"""Security headers on every response (500s too), documents served as downloads, and the
WebSocket Origin compared by scheme, host and port."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from starlette.routing import Route
from starlette.websockets import WebSocket

from eschool.middleware import SECURITY_HEADERS, ProxyHeadersMiddleware
from live.socket_session import origin_allowed

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 4


async def test_a_server_error_carries_the_security_headers(app, people) -> None:
    async def explode(request):
        raise RuntimeError("boom")

    app.router.routes.insert(0, Route("/explode", explode))
    app.router.routes.insert(0, Route("/api/v1/explode", explode))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        for path in ("/explode", "/api/v1/explode"):
            response = await http.get(path)
            assert response.status_code == 500
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value, (path, name)


async def test_documents_are_downloads_and_pictures_are_inline(
    client: httpx.AsyncClient, as_user, people
) -> None:
    teacher = await as_user("teacher")
    served = {}
    for name, content in (("worksheet.pdf", PDF), ("map.png", PNG)):
        stored = await client.post(
            "/api/v1/assets", files={"file": (name, content)}, headers=teacher
        )
        assert stored.status_code == 201, stored.text
        served[name] = await client.get(stored.json()["url"], headers=teacher)
    pdf, png = served["worksheet.pdf"], served["map.png"]
    assert pdf.status_code == png.status_code == 200
    assert pdf.headers["content-disposition"].startswith("attachment")
    assert 'filename="worksheet.pdf"' in pdf.headers["content-disposition"]
    assert pdf.headers["content-type"] == "application/pdf"
    assert "content-disposition" not in png.headers
    for response in (pdf, png):
        assert response.headers["x-content-type-options"] == "nosniff"


def _socket(scheme: str, host: str, origin: str | None, allowed: tuple[str, ...] = ()) -> WebSocket:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(allowed_origins=allowed)))
    scope = {
        "type": "websocket",
        "scheme": scheme,
        "path": "/live/K7QF-29/ws",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "app": app,
    }

    async def nothing():  # pragma: no cover - never called
        raise AssertionError

    return WebSocket(scope, nothing, nothing)


@pytest.mark.parametrize(
    ("scheme", "host", "origin", "allowed"),
    [
        ("ws", "school.example:8000", "http://school.example:8000", True),
        ("wss", "school.example", "https://school.example", True),
        ("wss", "school.example", "https://school.example:443", True),
        ("ws", "school.example", "http://School.Example", True),
        ("ws", "school.example", None, True),  # not a browser: authentication decides
        ("wss", "school.example", "http://school.example", False),  # http page, https server
        ("ws", "school.example", "https://school.example", False),  # and the other way round
        ("ws", "school.example:8000", "http://school.example:8001", False),
        ("ws", "school.example:8000", "http://school.example", False),
        ("ws", "school.example", "http://evil.example", False),
        ("ws", "school.example", "http://school.example.evil.example", False),
        ("ws", "school.example", "null", False),
        ("ws", "school.example", "http://school.example:x", False),
        ("ws", "school.example", "http://user@school.example", False),
    ],
)
def test_websocket_origin_needs_scheme_host_and_port(
    scheme: str, host: str, origin: str | None, allowed: bool
) -> None:
    assert origin_allowed(_socket(scheme, host, origin)) is allowed


def test_an_allowed_origin_is_let_in_as_listed() -> None:
    listed = ("https://app.school.example",)
    assert origin_allowed(_socket("wss", "school.example", "https://app.school.example", listed))
    assert not origin_allowed(_socket("wss", "school.example", "http://app.school.example", listed))


@pytest.mark.parametrize(
    ("peer", "scheme", "client"),
    [("10.1.2.3", "wss", "203.0.113.4"), ("192.0.2.1", "ws", "192.0.2.1")],
)
async def test_only_a_trusted_proxy_sets_the_scheme_and_the_client(
    peer: str, scheme: str, client: str
) -> None:
    seen: dict = {}

    async def inner(scope, receive, send) -> None:
        seen.update(scope)

    proxied = ProxyHeadersMiddleware(inner, trusted=("10.0.0.0/8",))
    headers = [(b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.4, 10.9.9.9")]
    scope = {"type": "websocket", "scheme": "ws", "client": (peer, 1), "headers": headers}
    await proxied(scope, None, None)  # type: ignore[arg-type]
    assert seen["scheme"] == scheme
    assert seen["client"][0] == client

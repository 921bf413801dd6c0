"""Server-rendered pages: sign-in flow, each role's home, errors, headers, languages."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Route

from tests.login_form import form_login


async def _sign_in(client: httpx.AsyncClient, login: str) -> None:
    response = await form_login(client, login)
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("login", "expected", "nav"),
    [
        ("admin", "School administration", "/admin/people"),
        ("teacher", "Open the journal", "/journal"),
        ("pupil", "My diary", "/diary"),
        ("parent", "Open the diary", "/diary"),
    ],
)
async def test_each_role_gets_its_home(
    client: httpx.AsyncClient, people, login: str, expected: str, nav: str
) -> None:
    await _sign_in(client, login)
    page = await client.get("/")
    assert page.status_code == 200
    assert expected in page.text
    assert f'href="{nav}"' in page.text
    if login != "admin":
        assert 'href="/admin/people"' not in page.text


async def test_home_without_sign_in_redirects_to_login(client: httpx.AsyncClient, people) -> None:
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_admin_pages_refuse_a_teacher(client: httpx.AsyncClient, people) -> None:
    await _sign_in(client, "teacher")
    response = await client.get("/admin/people")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "403" in response.text


async def test_admin_adds_a_person_through_the_form(client: httpx.AsyncClient, people) -> None:
    await _sign_in(client, "admin")
    page = await client.get("/admin/people")
    csrf = page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = await client.post(
        "/admin/people",
        data={"csrf_token": csrf, "name": "Пётр Орлов", "login": "p.orlov", "role": "teacher"},
    )
    assert response.status_code == 200
    assert "p.orlov" in response.text
    assert "not shown again" in response.text
    listing = await client.get("/admin/people", params={"q": "orlov"})
    assert "Пётр Орлов" in listing.text


async def test_security_headers_on_every_response(client: httpx.AsyncClient, people) -> None:
    for path in ("/login", "/api/v1/me", "/nowhere", "/static/css/app.css"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_pages_have_no_inline_scripts(client: httpx.AsyncClient, people) -> None:
    await _sign_in(client, "teacher")
    for path in ("/", "/account"):
        text = (await client.get(path)).text
        assert "<script>" not in text
        assert " onclick=" not in text
        assert " style=" not in text


async def test_unknown_page_is_a_friendly_404(client: httpx.AsyncClient, people) -> None:
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Page not found" in response.text


async def test_unknown_api_path_is_json_404(client: httpx.AsyncClient, people) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_server_error_page_has_no_traceback(app, people) -> None:
    async def explode(request):
        raise RuntimeError("secret internals")

    app.router.routes.insert(0, Route("/explode", explode))
    app.router.routes.insert(0, Route("/api/v1/explode", explode))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = await http.get("/explode")
        api = await http.get("/api/v1/explode")
    assert page.status_code == 500
    assert "secret internals" not in page.text
    assert "Traceback" not in page.text
    assert "Something went wrong" in page.text
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "internal_error"


async def test_russian_from_accept_language(client: httpx.AsyncClient, people) -> None:
    page = await client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Войти" in page.text
    assert '<html lang="ru">' in page.text
    english = await client.get("/login", headers={"Accept-Language": "en-GB"})
    assert "Sign in" in english.text


async def test_users_language_choice_wins(client: httpx.AsyncClient, people) -> None:
    await _sign_in(client, "teacher")
    home = await client.get("/")
    csrf = home.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    await client.post("/lang", data={"lang": "ru", "csrf_token": csrf})
    page = await client.get("/", headers={"Accept-Language": "en"})
    assert "Журнал" in page.text


async def test_health_reports_database_and_broker(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


async def test_health_names_the_failing_part(app, client: httpx.AsyncClient) -> None:
    await app.state.engine.dispose()

    class DeadBroker:
        async def ping(self) -> bool:
            raise ConnectionError("down")

    real = app.state.broker
    app.state.broker = DeadBroker()
    try:
        response = await client.get("/healthz")
    finally:
        app.state.broker = real
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"


async def test_exhausted_database_pool_is_a_503(app, people) -> None:
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    async def starved(request):
        raise PoolTimeout("QueuePool limit reached")

    app.router.routes.insert(0, Route("/api/v1/starved", starved))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/api/v1/starved")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert response.headers["retry-after"] == "5"

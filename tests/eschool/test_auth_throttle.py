"""Failed sign-ins slow down the client that fails and never lock out the person who knows the
password (eschool/signin.py); ``X-Forwarded-For`` counts only from a trusted proxy.

The throttle's clock is stopped (``clock``): a wait is over when the test moves it on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.models import LoginFailure
from eschool.seed import seed_people
from eschool.settings import Settings
from tests.conftest import TODAY
from tests.login_form import Clock, form_login

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock.stop(monkeypatch)


def _client(app: Starlette, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _try(client: httpx.AsyncClient, login: str, password: str, **kw) -> httpx.Response:
    return await client.post(TOKEN, json={"login": login, "password": password}, **kw)


@asynccontextmanager
async def _app_with(settings: Settings, **changes) -> AsyncIterator[Starlette]:
    application = create_app(replace(settings, **changes))
    async with application.router.lifespan_context(application):
        async with application.state.sessionmaker() as session:
            await seed_people(session, today=TODAY)
        yield application


async def test_an_attacker_does_not_lock_out_the_real_user(
    client: httpx.AsyncClient, app: Starlette, clock: Clock, people
) -> None:
    statuses = [(await _try(client, "teacher", f"guess-{n}")).status_code for n in range(20)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}  # slowed: refused without a password check
    refused = await _try(client, "teacher", "demo")
    assert refused.status_code == 429  # the failing client waits, even with the right one
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert refused.headers["retry-after"] == "1"
    async with _client(app, "192.0.2.7") as teacher:
        assert (await _try(teacher, "teacher", "demo")).status_code == 200
        assert (await form_login(teacher, "teacher")).status_code == 303
    # the real user's success does not reset the attacker's wait
    assert (await _try(client, "teacher", "demo")).status_code == 429


async def _failures(sessionmaker, clock: Clock, login: str, client: str, times: int) -> None:
    """Record ``times`` failures now, as if they had been tried (no password hashing)."""
    async with sessionmaker() as session:
        for _ in range(times):
            session.add(LoginFailure(login=login, address=client, at=clock.now))
        await session.commit()


async def test_the_wait_doubles_with_each_failure(
    client: httpx.AsyncClient, sessionmaker, clock: Clock, people
) -> None:
    await _failures(sessionmaker, clock, "pupil", "127.0.0.1", 5)
    for wait in (1, 2, 4):
        refused = await _try(client, "pupil", "wrong")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(wait)
        clock.advance(wait - 0.5)
        assert (await _try(client, "pupil", "demo")).status_code == 429
        clock.advance(0.5)  # the wait is over: one more try
        assert (await _try(client, "pupil", "wrong")).status_code == 401
    clock.advance(8)
    assert (await _try(client, "pupil", "demo")).status_code == 200
    # success forgets this client's failures: the next typo is free again
    assert (await _try(client, "pupil", "typo")).status_code == 401
    assert (await _try(client, "pupil", "demo")).status_code == 200


async def test_the_wait_is_capped_and_old_failures_are_forgotten(
    client: httpx.AsyncClient, sessionmaker, clock: Clock, people
) -> None:
    await _failures(sessionmaker, clock, "parent", "127.0.0.1", 15)  # 2 ** 10 s would be the wait
    assert (await _try(client, "parent", "wrong")).headers["retry-after"] == "900"
    clock.advance(86400 + 900)
    assert (await _try(client, "parent", "wrong")).status_code == 401
    async with sessionmaker() as session:  # the day-old failures were purged
        assert len((await session.exec(select(LoginFailure))).all()) == 1


async def test_a_burst_of_concurrent_guesses_is_still_throttled(
    client: httpx.AsyncClient, clock: Clock, people
) -> None:
    answers = await asyncio.gather(*(_try(client, "parent", f"g{n}") for n in range(16)))
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}
    # each try is recorded before its (slow) password check, so concurrent ones see each other
    assert statuses.count(429) >= 8, statuses


async def test_a_browser_that_signed_in_before_gets_in_despite_failures_from_its_network(
    settings: Settings, clock: Clock
) -> None:
    async with (
        _app_with(settings, login_max_failures=2) as app,
        _client(app, "198.51.100.1") as browser,
        _client(app, "198.51.100.1") as pupil,
    ):
        assert (await form_login(browser, "teacher")).status_code == 303
        assert browser.cookies.get("eschool_device")
        browser.cookies.delete("eschool_session")  # signed out; the device cookie stays
        # a pupil on the same school network fails on purpose, and signs in as themself
        assert (await form_login(pupil, "pupil")).status_code == 303
        pupil.cookies.delete("eschool_session")
        for n in range(4):
            assert (await form_login(pupil, "teacher", f"guess-{n}")).status_code in (401, 429)
        # the pupil's own device cookie is not one for the teacher's login
        assert (await form_login(pupil, "teacher")).status_code == 429
        assert (await _try(pupil, "teacher", "demo")).status_code == 429
        signed_in = await form_login(browser, "teacher")
        assert signed_in.status_code == 303, signed_in.text


async def test_failures_across_logins_stop_an_address(settings: Settings, clock: Clock) -> None:
    async with (
        _app_with(settings, address_max_failures=3) as app,
        _client(app, "203.0.113.5") as sprayer,
        _client(app, "203.0.113.6") as other,
    ):
        for login in ("teacher", "pupil", "parent"):
            assert (await _try(sprayer, login, "password1")).status_code == 401
        refused = await _try(sprayer, "admin", "demo")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "900"  # until the first failure ages out
        assert (await _try(other, "admin", "demo")).status_code == 200


async def test_a_class_signing_in_at_once_from_one_address_is_let_in(
    settings: Settings, clock: Clock
) -> None:
    async with (
        _app_with(settings, address_max_failures=2) as app,
        _client(app, "203.0.113.8") as school,
    ):
        logins = ("teacher", "pupil", "parent", "admin")
        answers = await asyncio.gather(*(_try(school, login, "demo") for login in logins))
        assert [answer.status_code for answer in answers] == [200] * len(logins)


async def test_forwarded_for_counts_only_from_a_trusted_proxy(
    settings: Settings, clock: Clock
) -> None:
    async with (
        _app_with(settings, trusted_proxies=("127.0.0.0/8",), login_max_failures=2) as app,
        _client(app, "192.0.2.50") as direct,
        _client(app, "127.0.0.1") as proxy,
    ):
        # From any other peer the header is ignored: no fresh address for every guess.
        for n in range(2):
            spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
            assert (await _try(direct, "teacher", "x", headers=spoofed)).status_code == 401
        fresh = {"X-Forwarded-For": "203.0.113.99"}
        assert (await _try(direct, "teacher", "demo", headers=fresh)).status_code == 429
        # From the proxy: the client is the right-most address that is not a proxy.
        behind = {"X-Forwarded-For": "203.0.113.1, 127.0.0.2"}
        for _ in range(2):
            assert (await _try(proxy, "teacher", "x", headers=behind)).status_code == 401
        assert (await _try(proxy, "teacher", "demo", headers=behind)).status_code == 429
        other = {"X-Forwarded-For": "203.0.113.2"}
        assert (await _try(proxy, "teacher", "demo", headers=other)).status_code == 200


def test_trusted_proxies_are_read_and_checked() -> None:
    env = {"ESCHOOL_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,,::1"}
    assert Settings.from_env(env).trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ValueError, match="ESCHOOL_TRUSTED_PROXIES"):
        Settings.from_env({"ESCHOOL_TRUSTED_PROXIES": "localhost"})

"""What a process keeps of journals (:mod:`gradebook.journal_cache`) is never another reader's
or another moment's: the whole page by who reads it (their name, their session's CSRF token),
the term by the school's revision (terms moved choose the current one at once)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import select, update
from starlette.applications import Starlette

from eschool.models import Term, User
from tests.gradebook.conftest import Gradebook, school_today
from tests.login_form import form_login


def _csrf(page: str) -> str:
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


async def test_the_page_shows_the_readers_new_name(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    teacher = await as_user("teacher")
    path = f"/journal/{gradebook.math_7a}?term={gradebook.term_id}"
    first = await client.get(path, headers=teacher)
    assert first.status_code == 200
    again = await client.get(path, headers=teacher)
    assert again.text == first.text  # the same page while nothing changed
    async with app.state.sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            update(User).where(User.login == "teacher").values(name="Ирина Новикова")
        )
        await session.commit()
    renamed = await client.get(path, headers=teacher)
    assert "Ирина Новикова" in renamed.text


async def test_each_signed_in_session_gets_its_own_token_in_the_page(
    app: Starlette, gradebook: Gradebook
) -> None:
    path = f"/journal/{gradebook.math_7a}?term={gradebook.term_id}"
    tokens = []
    for _browser in range(2):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
            assert (await form_login(browser, "teacher")).status_code == 303
            home = await browser.get("/")
            page = await browser.get(path)
            assert page.status_code == 200
            assert _csrf(page.text) == _csrf(home.text)  # the token of this browser's session
            tokens.append(_csrf(page.text))
    assert tokens[0] != tokens[1]


async def test_new_term_dates_choose_the_current_term_on_the_next_read(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook: Gradebook
) -> None:
    today = school_today(app)
    teacher = await as_user("teacher")
    current = f"/api/v1/courses/{gradebook.math_7a}/journal"
    assert (await client.get(current, headers=teacher)).json()["term"]["id"] == gradebook.term_id
    async with app.state.sessionmaker() as session:
        term = await session.get(Term, gradebook.term_id)
        assert term is not None
        other = (
            await session.exec(select(Term).where(Term.year_id == term.year_id, Term.id != term.id))
        ).first()
        assert other is not None
        # The admin moves the terms: today now falls in the other one.
        term.starts, term.ends = (
            today - timedelta(days=400),
            today - timedelta(days=300),
        )
        other.starts, other.ends = (
            today - timedelta(days=10),
            today + timedelta(days=10),
        )
        session.add_all([term, other])
        await session.commit()
        other_id = other.id
    moved = await client.get(current, headers=teacher)
    assert moved.status_code == 200 and moved.json()["term"]["id"] == other_id

"""File audiences belong to an app, not to the process: two apps never share them."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.applications import Starlette

from eschool.app import create_app
from eschool.models import User
from eschool.queries import user_by_login
from eschool.seed import seed_people
from eschool.services import api_token_create
from eschool.settings import Settings
from tests.conftest import TODAY

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(60))


async def grant_everyone(session: AsyncSession, actor: User, sha256: str) -> bool:
    """A file audience that lets anyone of the school see any file."""
    return True


async def bearer(app: Starlette, login: str) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        user = await user_by_login(session, login)
        assert user is not None, login
        token = await api_token_create(session, user=user, label="audience tests")
    return {"Authorization": f"Bearer {token}"}


def client_of(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_two_apps_in_one_process_do_not_share_file_audiences(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    async with first.router.lifespan_context(first), second.router.lifespan_context(second):
        # each app built its own list, from the same packages
        assert first.state.file_audiences is not second.state.file_audiences
        assert first.state.file_audiences == second.state.file_audiences
        assert len(set(first.state.file_audiences)) == len(first.state.file_audiences) >= 2

        async with first.state.sessionmaker() as session:
            await seed_people(session, today=TODAY)
        teacher, pupil = await bearer(first, "teacher"), await bearer(first, "pupil")
        async with client_of(first) as one, client_of(second) as two:
            uploaded = await one.post(
                "/api/v1/assets", files={"file": ("a.png", PNG)}, headers=teacher
            )
            assert uploaded.status_code == 201, uploaded.text
            url = uploaded.json()["url"]
            assert (await one.get(url, headers=pupil)).status_code == 404
            assert (await two.get(url, headers=pupil)).status_code == 404

            first.state.file_audiences.append(grant_everyone)
            assert (await one.get(url, headers=pupil)).status_code == 200
            assert grant_everyone not in second.state.file_audiences
            assert (await two.get(url, headers=pupil)).status_code == 404
            assert (await two.get(url, headers=teacher)).status_code == 200  # the uploader

    # a restarted app starts again from its packages' own audiences
    async with first.router.lifespan_context(first):
        assert grant_everyone not in first.state.file_audiences
        assert first.state.file_audiences == second.state.file_audiences

"""Fixtures of the lessons tests."""

from __future__ import annotations

import pytest

from eschool.queries import user_by_login
from eschool.services import api_token_create


@pytest.fixture
def as_user(sessionmaker, people):
    """``await as_user("teacher")`` → bearer headers of that demo user.

    Same contract as the suite-wide fixture, but the token is minted directly: signing in
    through the API costs an argon2 verification per person, which the sign-in tests of
    eschool already cover, and which would dominate this suite's run time.
    """
    cache: dict[str, dict[str, str]] = {}

    async def headers(login: str) -> dict[str, str]:
        if login not in cache:
            async with sessionmaker() as session:
                user = await user_by_login(session, login)
                assert user is not None, login
                token = await api_token_create(session, user=user, label="lessons tests")
            cache[login] = {"Authorization": f"Bearer {token}"}
        return cache[login]

    return headers

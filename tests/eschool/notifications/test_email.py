"""Notification e-mails through a real SMTP server (aiosmtpd on a free port): the digest goes
to the family only and in each reader's language; a server that is down does not fail the
mark, and the e-mail is retried until it is up."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select
from starlette.applications import Starlette

from eschool.models import User
from eschool.notifications.models import Notification
from eschool.settings import Settings
from tests.browser import free_port
from tests.eschool.notifications.smtp_support import eventually, smtp_server
from tests.gradebook import conftest as gradebook_fixtures

as_user = gradebook_fixtures.as_user
gradebook = gradebook_fixtures.gradebook


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, smtp_port: int) -> Settings:
    """The test app's settings with e-mail through 127.0.0.1:<smtp_port>, retrying fast."""
    return replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}?from=school@example.org",
        public_url="https://school.example.org",
        notify_retry_seconds=0.2,
    )


async def _addresses(app: Starlette, langs: dict[str, str | None]) -> dict[str, User]:
    """Give each login an e-mail address (``<login>@example.org``) and a language."""
    async with app.state.sessionmaker() as session:
        for login, lang in langs.items():
            await session.exec(
                update(User)
                .where(col(User.login) == login)
                .values(email=f"{login}@example.org", lang=lang)
            )
        await session.commit()
        rows = await session.exec(select(User).where(col(User.login).in_(list(langs))))
        return {user.login: user for user in rows.all()}


async def _outbox_empty(app: Starlette) -> bool:
    async with app.state.sessionmaker() as session:
        rows = await session.exec(
            select(Notification.email_state).where(
                col(Notification.email_state).in_(["pending", "sending", "dsending"])
                | (
                    (col(Notification.email_state) == "digest")
                    & col(Notification.email_next_at).is_not(None)
                )
            )
        )
        return not rows.all()


async def _choose(client: httpx.AsyncClient, headers: dict[str, str], **chosen: str) -> None:
    response = await client.put("/api/v1/notification-settings", headers=headers, json=chosen)
    assert response.status_code == 200, response.text


async def test_digest_goes_to_the_family_only_in_their_language(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, smtp_port: int
) -> None:
    pupil = gradebook.pupil("pupil")
    classmate = gradebook.classmate()
    other_parent = f"p.{classmate.login}"
    people = await _addresses(
        app, {"parent": "ru", "pupil": "en", other_parent: "ru", "teacher": "en"}
    )
    for login in ("parent", "pupil", other_parent):
        await _choose(client, await as_user(login), mark="digest", absence="digest")
    controller, inbox = smtp_server(smtp_port)
    try:
        slot = gradebook.past_slot(gradebook.math_7a)
        teacher = await as_user("teacher")
        response = await client.post(
            "/api/v1/marks",
            headers=teacher,
            json={"pupil_id": pupil.id, "slot_id": slot.id, "value": "4"},
        )
        assert response.status_code == 201
        response = await client.put(
            "/api/v1/attendance",
            headers=teacher,
            json={"pupil_id": pupil.id, "slot_id": slot.id, "status": "late"},
        )
        assert response.status_code == 200, response.text
        await app.state.notifications.digest_now()
        await eventually(lambda: _outbox_empty(app))
        await eventually(lambda: _async(len(inbox.messages) == 2))
    finally:
        controller.stop()
    assert {recipient for recipient, _m in inbox.messages} == {
        people["parent"].email,
        people["pupil"].email,
    }
    assert inbox.to(people[other_parent].email) == []
    (russian,) = inbox.to(people["parent"].email)
    (english,) = inbox.to(people["pupil"].email)
    assert russian["From"] == "school@example.org"
    assert "уведомлен" in russian["Subject"] and "notifications" in english["Subject"]
    ru_body, en_body = russian.get_content(), english.get_content()
    assert "отметка 4" in ru_body and "опоздание" in ru_body
    assert "mark 4" in en_body and "late for" in en_body
    assert f"https://school.example.org/diary?pupil={pupil.id}" in en_body
    # Nobody else's notifications went anywhere either.
    assert (await client.get("/api/v1/notifications", headers=await as_user(other_parent))).json()[
        "total"
    ] == 0


async def _async(value: bool) -> bool:
    return value


async def test_smtp_down_does_not_fail_the_mark_and_the_email_is_retried(
    app: Starlette, client: httpx.AsyncClient, as_user, gradebook, smtp_port: int
) -> None:
    pupil = gradebook.pupil("pupil")
    people = await _addresses(app, {"parent": None})
    await _choose(client, await as_user("parent"), mark="email")
    slot = gradebook.past_slot(gradebook.math_7a)
    response = await client.post(
        "/api/v1/marks",
        headers=await as_user("teacher"),
        json={"pupil_id": pupil.id, "slot_id": slot.id, "value": "5"},
    )
    assert response.status_code == 201  # nothing listens on the SMTP port yet

    async def tried_and_waiting() -> bool:
        async with app.state.sessionmaker() as session:
            rows = await session.exec(
                select(Notification).where(Notification.user_id == people["parent"].id)
            )
            row = rows.one()
            return row.email_attempts >= 1 and row.email_state == "pending"

    await eventually(tried_and_waiting)
    controller, inbox = smtp_server(smtp_port)
    try:
        await eventually(lambda: _async(len(inbox.messages) == 1))
    finally:
        controller.stop()
    (message,) = inbox.to(people["parent"].email)
    assert "mark 5" in message["Subject"]
    await eventually(lambda: _outbox_empty(app))

"""The shell's upload store over HTTP: limits, types, dedupe, headers, who may fetch a file.

The library is the file audience exercised here (a lesson's pictures); homework attachments
are in tests/gradebook/test_homework_attachments.py, absence notes' documents in
tests/gradebook/test_absence_notes.py, message attachments in tests/messaging/test_threads.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from eschool.app import create_app
from eschool.queries import user_by_login
from eschool.seed import seed_people
from eschool.services import api_token_create
from eschool.settings import Settings
from eschool.uploads import services as upload_services
from tests.conftest import TODAY, token_for

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200))
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
SMALL_LIMIT = 1000
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100)
GIF = b"GIF89a\x01\x00\x01\x00" + bytes(20)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(100)
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + bytes(60)
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture
def as_user(sessionmaker, people):
    """``await as_user("teacher")`` → bearer headers, the token minted directly (these tests
    are not about signing in; an argon2 check per person would dominate their run time)."""
    cache: dict[str, dict[str, str]] = {}

    async def headers(login: str) -> dict[str, str]:
        if login not in cache:
            async with sessionmaker() as session:
                user = await user_by_login(session, login)
                assert user is not None, login
                token = await api_token_create(session, user=user, label="upload tests")
            cache[login] = {"Authorization": f"Bearer {token}"}
        return cache[login]

    return headers


def stored_files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file() and p.parent.name != "tmp")


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str = "x.png"
) -> httpx.Response:
    return await client.post("/api/v1/assets", files={"file": (name, content)}, headers=headers)


async def publish_with_image(
    client: httpx.AsyncClient, headers: dict[str, str], sha: str, *, publish: bool = True
) -> int:
    body = {"title": "Картинка", "blocks": [{"kind": "image", "asset": sha, "alt": "схема"}]}
    response = await client.post("/api/v1/lessons", json=body, headers=headers)
    assert response.status_code == 201, response.text
    lesson_id = response.json()["id"]
    if publish:
        await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=headers)
    return lesson_id


async def test_upload_stores_by_content_and_dedupes(client, as_user, settings: Settings):
    teacher = await as_user("teacher")
    first = await upload(client, teacher, PNG, "scheme.png")
    assert first.status_code == 201, first.text
    sha = hashlib.sha256(PNG).hexdigest()
    assert first.json() == {
        "id": sha,
        "url": f"/assets/{sha}",
        "mime": "image/png",
        "size": len(PNG),
        "filename": "scheme.png",
    }
    path = settings.uploads_dir / sha[:2] / sha
    assert path.read_bytes() == PNG
    again = await upload(client, await as_user("teacher2"), PNG, "other-name.gif")
    assert again.json()["id"] == sha
    assert again.json()["mime"] == "image/png"  # from the content, not the name
    assert stored_files(settings.uploads_dir) == [path]


async def test_served_with_its_type_and_nosniff_to_its_uploader(client, as_user):
    teacher = await as_user("teacher")
    sha = (await upload(client, teacher, PNG)).json()["id"]
    response = await client.get(f"/assets/{sha}", headers=teacher)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(f"/api/v1/assets/{sha}", headers=teacher)).status_code == 200


async def test_svg_is_served_sandboxed(client, as_user):
    teacher = await as_user("teacher")
    created = await upload(client, teacher, SVG, "a.svg")
    assert created.json()["mime"] == "image/svg+xml"
    response = await client.get(created.json()["url"], headers=teacher)
    assert response.headers["content-type"] == "image/svg+xml"
    policy = response.headers["content-security-policy"]
    assert policy == "sandbox; default-src 'none'; style-src 'unsafe-inline'"


async def test_only_those_who_see_a_lesson_using_it_may_fetch_it(client, as_user):
    teacher = await as_user("teacher")
    sha = (await upload(client, teacher, PNG)).json()["id"]
    url = f"/assets/{sha}"
    teacher2, pupil, parent = [await as_user(x) for x in ("teacher2", "pupil", "parent")]
    for headers in (teacher2, pupil, parent):
        assert (await client.get(url, headers=headers)).status_code == 404
    assert (await client.get(url)).status_code == 401

    lesson_id = await publish_with_image(client, teacher, sha, publish=False)
    assert (await client.get(url, headers=teacher2)).status_code == 404  # a draft's file
    assert (await client.get(url, headers=await as_user("admin"))).status_code == 200
    await client.post(f"/api/v1/lessons/{lesson_id}/publish", headers=teacher)
    assert (await client.get(url, headers=teacher2)).status_code == 200
    assert (await client.get(url, headers=pupil)).status_code == 200
    assert (await client.get(url, headers=parent)).status_code == 404
    assert (await client.get("/assets/" + "0" * 64, headers=teacher)).status_code == 404
    assert (await client.get("/assets/../../etc/passwd", headers=teacher)).status_code == 404


async def test_a_block_may_not_use_someone_elses_private_file(client, as_user):
    sha = (await upload(client, await as_user("teacher"), PNG)).json()["id"]
    body = {"title": "Чужая картинка", "blocks": [{"kind": "image", "asset": sha}]}
    response = await client.post("/api/v1/lessons", json=body, headers=await as_user("teacher2"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_asset"


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 a windows program",
        b"just some text",
        b"",
    ],
)
async def test_refused_types_get_415_and_store_nothing(client, as_user, settings, content):
    response = await upload(client, await as_user("teacher"), content, "lesson.png")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_type"
    assert stored_files(settings.uploads_dir) == []


async def test_malformed_uploads_get_clear_errors(client, as_user):
    teacher = await as_user("teacher")
    as_json = await client.post("/api/v1/assets", json={"file": "x"}, headers=teacher)
    assert as_json.status_code == 415
    no_file = await client.post("/api/v1/assets", files={"other": ("a.png", PNG)}, headers=teacher)
    assert no_file.status_code == 400


@pytest.fixture
async def small_client(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A client of an app whose upload limit is 1000 bytes, signed in as teacher."""
    app = create_app(replace(settings, upload_limit=SMALL_LIMIT))
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            await seed_people(session, today=TODAY)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, {"Authorization": f"Bearer {await token_for(http, 'teacher')}"}


async def test_files_over_the_limit_get_413(small_client, settings):
    http, teacher = small_client
    assert (await upload(http, teacher, PNG)).status_code == 201  # 216 bytes
    just_over = PNG + b"\x00" * (SMALL_LIMIT - len(PNG) + 1)
    response = await upload(http, teacher, just_over)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    declared_huge = await upload(http, teacher, PNG + b"\x00" * 100_000)
    assert declared_huge.status_code == 413
    assert len(stored_files(settings.uploads_dir)) == 1


async def test_the_limit_holds_while_streaming_without_a_length(small_client, settings):
    http, teacher = small_client
    boundary = "eschoolboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head + PNG
        for _ in range(1000):
            sent += 1
            yield b"\x00" * 1024
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await http.post(
        "/api/v1/assets",
        content=body(),
        headers={**teacher, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert sent < 100  # refused early: the rest of the megabyte was never read
    assert stored_files(settings.uploads_dir) == []


async def test_parents_and_pupils_upload_documents_and_photos_only(client, as_user, settings):
    parent, pupil, teacher = [await as_user(x) for x in ("parent", "pupil", "teacher")]
    for headers, content, name, mime in (
        (parent, PDF, "справка.pdf", "application/pdf"),
        (parent, JPEG, "photo.jpg", "image/jpeg"),
        (pupil, PNG, "scan.png", "image/png"),
        (pupil, GIF, "a.gif", "image/gif"),
        (pupil, WEBP, "a.webp", "image/webp"),
    ):
        response = await upload(client, headers, content, name)
        assert response.status_code == 201, (name, response.text)
        sha = hashlib.sha256(content).hexdigest()
        assert response.json() == {
            "id": sha,
            "url": f"/assets/{sha}",
            "mime": mime,
            "size": len(content),
            "filename": name,
        }
        assert (await client.get(f"/assets/{sha}", headers=headers)).status_code == 200
        assert (await client.get(f"/assets/{sha}", headers=teacher)).status_code == 404
    kept = stored_files(settings.uploads_dir)
    for headers in (parent, pupil):
        for content, name in ((HTML, "a.pdf"), (ZIP, "a.zip"), (MP4, "a.mp4"), (SVG, "a.svg")):
            refused = await upload(client, headers, content, name)
            assert refused.status_code == 415, name
            assert refused.json()["error"]["code"] == "unsupported_type"
    assert stored_files(settings.uploads_dir) == kept
    # Staff keep every allowed type.
    for content in (MP4, SVG):
        assert (await upload(client, teacher, content, "lesson")).status_code == 201
    assert (await upload(client, teacher, ZIP, "a.zip")).status_code == 415


async def test_family_file_limit_and_daily_quota(client, as_user, settings, monkeypatch):
    parent, teacher = await as_user("parent"), await as_user("teacher")
    big = PDF + b"\x00" * (upload_services.FAMILY_FILE_LIMIT - len(PDF) + 1)
    too_big = await upload(client, parent, big, "big.pdf")
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "too_large"
    assert stored_files(settings.uploads_dir) == []
    monkeypatch.setattr(upload_services, "FAMILY_DAILY_LIMIT", 3 * (len(PDF) + 3))
    for n in range(3):
        response = await upload(client, parent, PDF + f"%{n}\n".encode(), f"{n}.pdf")
        assert response.status_code == 201
    over = await upload(client, parent, PDF + b"% one more\n", "more.pdf")
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "upload_quota"
    assert 0 < int(over.headers["retry-after"]) <= 24 * 3600
    # Another parent and the staff are not counted against this parent's quota.
    assert (await upload(client, await as_user("pupil"), PDF, "a.pdf")).status_code == 201
    assert (await upload(client, teacher, PDF + b"% staff\n", "b.pdf")).status_code == 201


@pytest.mark.parametrize(
    ("asked", "status", "content"),
    [
        ("bytes=0-7", 206, PNG[:8]),
        ("bytes=-4", 206, PNG[-4:]),
        ("BYTES = 8-", 206, PNG[8:]),
        ("bytes=100000-", 416, b""),
        # RFC 9110 §14.2: another unit must be ignored, a malformed range may be: the whole file.
        ("items=0-3", 200, PNG),
        ("bytes=7-2", 200, PNG),
        ("bytes=abc", 200, PNG),
        ("bytes", 200, PNG),
        ("bytes=0-3,x", 200, PNG),
    ],
)
async def test_ranges_serve_part_of_a_file_and_bad_ones_the_whole(
    client, as_user, asked, status, content
):
    teacher = await as_user("teacher")
    sha = (await upload(client, teacher, PNG)).json()["id"]
    response = await client.get(f"/assets/{sha}", headers={**teacher, "Range": asked})
    assert response.status_code == status, response.text
    if status == 416:
        assert response.headers["content-range"] == f"bytes */{len(PNG)}"
    else:
        assert response.content == content
        assert response.headers["x-content-type-options"] == "nosniff"

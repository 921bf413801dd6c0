"""Threads: who may write to whom, who reads what (an authorization matrix over every role),
class broadcasts, attachments, read state and refused input."""

from __future__ import annotations

import httpx
from sqlmodel import select

from eschool.notifications.models import Notification
from messaging import privacy
from tests.messaging.conftest import World, start

ROLES = (
    "admin", "teacher", "teacher2", "pupil", "parent", "parent2", "stranger", "stranger.admin"
)  # fmt: skip
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def test_every_role_reads_only_its_own_threads(client: httpx.AsyncClient, world: World):
    threads = {}
    for name, sender, to in (
        ("family", "parent", ["teacher"]),  # a parent and the child's tutor
        ("other_family", "parent2", ["teacher"]),  # another family of the same class
        ("staff", "admin", ["teacher2"]),
        ("pupil", "pupil", ["teacher2"]),  # pupils may write to their teachers
        ("other_school", "stranger.admin", ["stranger"]),
    ):
        response = await start(client, world, sender, to)
        assert response.status_code == 201, (name, response.text)
        threads[name] = response.json()["id"]
    members = {
        "family": {"parent", "teacher"},
        "other_family": {"parent2", "teacher"},
        "staff": {"admin", "teacher2"},
        "pupil": {"pupil", "teacher2"},
        "other_school": {"stranger.admin", "stranger"},
    }
    for role in ROLES:
        headers = world.headers[role]
        mine = {threads[name] for name, people in members.items() if role in people}
        listing = (await client.get("/api/v1/threads", headers=headers)).json()
        assert {item["id"] for item in listing["items"]} == mine, role
        for name, thread_id in threads.items():
            expected = 200 if thread_id in mine else 404
            got = await client.get(f"/api/v1/threads/{thread_id}", headers=headers)
            assert got.status_code == expected, (role, name)
            if expected == 404:
                assert got.json()["error"]["code"] == "not_found"
                assert "Здравствуйте" not in got.text
            reply = await client.post(
                f"/api/v1/threads/{thread_id}/messages", json={"text": "Ответ"}, headers=headers
            )
            assert reply.status_code == (201 if thread_id in mine else 404), (role, name)
            page = await client.get(f"/messages/{thread_id}", headers=headers)
            assert page.status_code == expected, (role, name)
    assert (await client.get(f"/api/v1/threads/{threads['family']}")).status_code == 401


REFUSED = (
    ("parent", ["admin"], "not_allowed"),  # parents write to the child's teachers only
    ("parent", ["parent2"], "not_allowed"),
    ("parent", ["history"], "not_allowed"),  # teaches nothing in 7A
    ("parent7b", ["teacher2"], "not_allowed"),  # teacher2 does not teach in 7B
    ("pupil", ["parent"], "not_allowed"),
    ("admin", ["parent"], "not_allowed"),
    ("teacher2", ["parent7b"], "not_allowed"),
    ("teacher", ["parent", "parent2"], "families_apart"),  # two families never meet
    ("stranger", ["teacher"], "not_allowed"),  # another school
    ("teacher", ["stranger"], "not_allowed"),
)


async def test_who_may_not_write_to_whom(client: httpx.AsyncClient, world: World):
    for sender, to, code in REFUSED:
        response = await start(client, world, sender, to)
        assert response.status_code == 403, (sender, to, response.text)
        assert response.json()["error"]["code"] == code
    for name in ("parent", "parent2", "parent7b", "admin", "stranger"):
        listing = (await client.get("/api/v1/threads", headers=world.headers[name])).json()
        assert listing["total"] == 0, name  # nothing was half made


async def test_the_picker_offers_only_whom_one_may_write_to(client, world: World):
    def offered(body):
        return {p["id"] for g in body["groups"] for p in g["people"]}

    parent = (
        await client.get("/api/v1/threads/recipients", headers=world.headers["parent"])
    ).json()
    assert offered(parent) == {world.ids["teacher"], world.ids["teacher2"]}
    assert parent["class_parents"] == []
    teacher2 = (
        await client.get("/api/v1/threads/recipients", headers=world.headers["teacher2"])
    ).json()
    assert world.ids["parent"] in offered(teacher2) and world.ids["admin"] in offered(teacher2)
    assert world.ids["parent7b"] not in offered(teacher2)
    assert [c["id"] for c in teacher2["class_parents"]] == [world.class_7a]
    stranger = (
        await client.get("/api/v1/threads/recipients", headers=world.headers["stranger"])
    ).json()
    assert offered(stranger) == {world.ids["stranger.admin"]}
    page = await client.get("/messages/new", headers=world.headers["parent"])
    assert page.status_code == 200
    assert f'value="{world.ids["teacher"]}"' in page.text
    assert f'value="{world.ids["admin"]}"' not in page.text


async def test_a_class_broadcast_makes_one_private_thread_per_family(client, world: World):
    headers = world.headers
    body = {"class_parents": world.class_7a, "subject": "Собрание", "text": "Собрание в четверг."}
    response = await client.post("/api/v1/threads", json=body, headers=headers["teacher"])
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["kind"] == "broadcast" and len(sent["threads"]) == 27
    mine = (await client.get("/api/v1/threads", headers=headers["parent"])).json()["items"]
    assert len(mine) == 1
    family_thread = mine[0]["id"]
    names = {p["id"] for p in mine[0]["participants"]}
    assert names == {world.ids["parent"], world.ids["teacher"]}
    reply = await client.post(
        f"/api/v1/threads/{family_thread}/messages",
        json={"text": "Придём вдвоём."},
        headers=headers["parent"],
    )
    assert reply.status_code == 201
    # The teacher sees the broadcast as one entry, and the reply family by family.
    listing = (await client.get("/api/v1/threads", headers=headers["teacher"])).json()
    assert [(i["kind"], i["threads"], i["unread"]) for i in listing["items"]] == [
        ("broadcast", 27, 1)
    ]
    families = (
        await client.get(f"/api/v1/threads?broadcast={sent['id']}", headers=headers["teacher"])
    ).json()
    assert families["total"] == 27
    assert [i["id"] for i in families["items"] if i["unread"]] == [family_thread]
    # Another family of the class sees its own thread only, without the reply.
    other = (await client.get("/api/v1/threads", headers=headers["parent2"])).json()["items"]
    assert len(other) == 1 and other[0]["id"] != family_thread
    detail = await client.get(f"/api/v1/threads/{other[0]['id']}", headers=headers["parent2"])
    assert "Придём" not in detail.text
    assert (
        await client.get(f"/api/v1/threads/{family_thread}", headers=headers["parent2"])
    ).status_code == 404
    for sender in ("parent2", "teacher2"):  # only the broadcast's sender lists its families
        got = await client.get(f"/api/v1/threads?broadcast={sent['id']}", headers=headers[sender])
        assert got.status_code == 404
    for sender, class_id, status in (
        ("teacher2", world.class_7b, 403),  # teaches no class 7B
        ("pupil", world.class_7a, 403),
        ("admin", world.class_7a, 403),
        ("teacher", world.other_class, 404),
    ):
        body["class_parents"] = class_id
        got = await client.post("/api/v1/threads", json=body, headers=headers[sender])
        assert got.status_code == status, sender
    page = await client.get("/messages", headers=headers["teacher"])
    assert page.status_code == 200 and "Собрание" in page.text


async def test_attachments_reach_the_participants_only(client, world: World):
    headers = world.headers
    uploaded = await client.post(
        "/api/v1/assets",
        files={"file": ("plan.png", PNG, "image/png")},
        headers=headers["teacher"],
    )
    assert uploaded.status_code == 201, uploaded.text
    sha = uploaded.json()["id"]
    response = await start(client, world, "teacher", ["parent"], attachments=[sha])
    assert response.status_code == 201
    thread = response.json()
    assert thread["messages"][0]["attachments"][0]["filename"] == "plan.png"
    assert (await client.get(f"/assets/{sha}", headers=headers["parent"])).status_code == 200
    for outsider in ("parent2", "teacher2", "admin", "stranger"):
        got = await client.get(f"/assets/{sha}", headers=headers[outsider])
        assert got.status_code == 404, outsider
    # One attaches only one's own uploads.
    refused = await client.post(
        f"/api/v1/threads/{thread['id']}/messages",
        json={"text": "Спасибо", "attachments": [sha]},
        headers=headers["parent"],
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_attachment"
    # The page's reply form carries the ids the upload script put in it.
    form = await client.post(
        f"/messages/{thread['id']}",
        data={"text": "Ещё раз", "attachments": sha},
        headers=headers["teacher"],
    )
    assert form.status_code == 303
    page = await client.get(f"/messages/{thread['id']}", headers=headers["parent"])
    assert page.text.count(f'href="/assets/{sha}"') == 2


async def test_a_parent_attaches_a_pdf_to_a_reply(client, world: World):
    headers = world.headers
    thread = (await start(client, world, "teacher", ["parent"])).json()
    page = await client.get(f"/messages/{thread['id']}", headers=headers["parent"])
    assert "/static/js/messaging/attach.js" in page.text and 'id="reply-files"' in page.text
    assert 'accept="application/pdf,image/png' in page.text
    uploaded = await client.post(
        "/api/v1/assets",
        files={"file": ("справка.pdf", PDF, "application/pdf")},
        headers=headers["parent"],
    )
    assert uploaded.status_code == 201, uploaded.text
    sha = uploaded.json()["id"]
    assert (await client.get(f"/assets/{sha}", headers=headers["teacher"])).status_code == 404
    reply = await client.post(
        f"/api/v1/threads/{thread['id']}/messages",
        json={"text": "Справка во вложении", "attachments": [sha]},
        headers=headers["parent"],
    )
    assert reply.status_code == 201, reply.text
    got = await client.get(f"/assets/{sha}", headers=headers["teacher"])
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    for outsider in ("parent2", "teacher2", "pupil", "stranger"):
        got = await client.get(f"/assets/{sha}", headers=headers[outsider])
        assert got.status_code == 404, outsider
    # A family attaches documents and photos only.
    html = await client.post(
        "/api/v1/assets",
        files={"file": ("a.pdf", b"<html><script>1</script></html>", "application/pdf")},
        headers=headers["parent"],
    )
    assert html.status_code == 415


async def test_read_state_and_unread_counts(client, world: World):
    headers = world.headers
    thread_id = (await start(client, world, "parent", ["teacher", "teacher2"])).json()["id"]
    await client.post(
        f"/api/v1/threads/{thread_id}/messages", json={"text": "Ещё"}, headers=headers["parent"]
    )
    listing = (await client.get("/api/v1/threads", headers=headers["teacher"])).json()
    assert listing["unread"] == 2 and listing["items"][0]["unread"] == 2
    assert (await client.get("/api/v1/threads", headers=headers["parent"])).json()["unread"] == 0
    detail = (await client.get(f"/api/v1/threads/{thread_id}", headers=headers["teacher"])).json()
    assert detail["unread"] == 2 and [m["mine"] for m in detail["messages"]] == [False, False]
    assert (await client.get("/api/v1/threads", headers=headers["teacher"])).json()["unread"] == 0
    # teacher2 has not read yet; a reply by the teacher adds to it, not to the teacher's own.
    await client.post(
        f"/api/v1/threads/{thread_id}/messages", json={"text": "Да"}, headers=headers["teacher"]
    )
    assert (await client.get("/api/v1/threads", headers=headers["teacher2"])).json()["unread"] == 3
    assert (await client.get("/api/v1/threads", headers=headers["teacher"])).json()["unread"] == 0
    assert (await client.get("/api/v1/threads", headers=headers["parent"])).json()["unread"] == 1
    home = await client.get("/", headers=headers["parent"])
    assert home.status_code == 200 and 'class="msg-badge"' in home.text


BAD_BODIES = (
    {"subject": "Тема", "text": ""},
    {"subject": "Тема", "text": "   \n "},
    {"subject": "Тема", "text": "я" * 10_001},
    {"subject": "", "text": "Текст"},
    {"subject": "Тема", "text": "Текст", "attachments": ["../etc/passwd"]},
    {"subject": "Тема", "text": "Текст", "class_parents": 1},  # and "to": both
    {"subject": "Тема", "text": "Текст", "to": []},
    {"subject": "Тема", "text": "Текст", "to": ["x"]},
    {"subject": "Тема", "text": "Текст", "to": [2**31]},
)


async def test_bad_input_is_refused(client, world: World):
    for bad in BAD_BODIES:
        body = {"to": [world.ids["teacher"]], **bad}
        response = await client.post("/api/v1/threads", json=body, headers=world.headers["parent"])
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "invalid"
    listing = (await client.get("/api/v1/threads", headers=world.headers["parent"])).json()
    assert listing["total"] == 0


async def test_bad_input_on_the_pages_and_in_replies(client, world: World):
    headers = world.headers["parent"]
    thread_id = (await start(client, world, "parent", ["teacher"])).json()["id"]
    longest = await client.post(
        f"/api/v1/threads/{thread_id}/messages", json={"text": "я" * 10_000}, headers=headers
    )
    assert longest.status_code == 201
    for text in ("", "я" * 10_001):
        reply = await client.post(
            f"/api/v1/threads/{thread_id}/messages", json={"text": text}, headers=headers
        )
        assert reply.status_code == 422
    self_only = await start(client, world, "parent", ["parent"])
    assert self_only.status_code == 422
    not_json = await client.post(
        "/api/v1/threads",
        content=b"{",
        headers={**headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 400
    form = await client.post(
        "/messages/new",
        data={"to": str(world.ids["admin"]), "subject": "Тема", "text": "Текст"},
        headers=headers,
    )
    assert form.status_code == 403 and "Тема" in form.text  # the form keeps what was typed
    sent = await client.post(
        "/messages/new",
        data={"to": str(world.ids["teacher"]), "subject": "Форма", "text": "С телефона"},
        headers=headers,
    )
    assert sent.status_code == 303
    empty = await client.post(sent.headers["location"], data={"text": " "}, headers=headers)
    assert empty.status_code == 422
    replied = await client.post(sent.headers["location"], data={"text": "Ещё"}, headers=headers)
    assert replied.status_code == 303


async def test_notifications_go_to_the_other_participants_only(app, client, world: World):
    thread_id = (await start(client, world, "parent", ["teacher"])).json()["id"]
    await client.post(
        f"/api/v1/threads/{thread_id}/messages",
        json={"text": "Ответ"},
        headers=world.headers["teacher"],
    )
    async with app.state.sessionmaker() as session:
        rows = await session.exec(
            select(Notification.user_id).where(
                Notification.kind == "message", Notification.url == f"/messages/{thread_id}"
            )
        )
        notified = sorted(rows.all())
    assert notified == sorted([world.ids["teacher"], world.ids["parent"]])


async def test_a_pupils_export_and_erasure(app, client, world: World, people):
    thread_id = (await start(client, world, "pupil", ["teacher2"], text="Мой вопрос")).json()["id"]
    about = (await start(client, world, "parent", ["teacher"])).json()["id"]
    pupil = next(p for p in people.pupils["7A"] if p.login == "pupil")
    async with app.state.sessionmaker() as session:
        export = await privacy.export_pupil(session, pupil=pupil, settings=app.state.settings)
        assert {c["id"] for c in export.data["conversations"]} == {thread_id, about}
        counts = await privacy.erase_pupil(session, pupil=pupil, label="Former pupil")
        await session.commit()
    assert counts == {"messages": 1, "thread_participants": 1, "threads": 2}
    detail = (
        await client.get(f"/api/v1/threads/{thread_id}", headers=world.headers["teacher2"])
    ).json()
    assert [m["text"] for m in detail["messages"]] == [privacy.ERASED_TEXT]
    gone = await client.get(f"/api/v1/threads/{thread_id}", headers=world.headers["pupil"])
    assert gone.status_code == 404

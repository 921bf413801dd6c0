"""The demo school's conversations and news: seeded once, visible to the right people."""

from __future__ import annotations

from eschool.seed import DemoPeople
from messaging.seed import seed_demo
from tests.conftest import TODAY
from tests.messaging.conftest import World


async def test_the_demo_conversations_and_news(app, client, people: DemoPeople, world: World):
    for _ in range(2):  # idempotent
        async with app.state.sessionmaker() as session:
            await seed_demo(session, people=people, today=TODAY, settings=app.state.settings)
    parent = (await client.get("/api/v1/threads", headers=world.headers["parent"])).json()
    assert parent["total"] == 1 and parent["unread"] == 1
    assert parent["items"][0]["pupil"]["id"] == world.ids["pupil"]
    teacher = (await client.get("/api/v1/threads", headers=world.headers["teacher"])).json()
    assert teacher["total"] == 2
    news = (await client.get("/api/v1/news", headers=world.headers["parent"])).json()
    assert news["total"] == 2
    assert (await client.get("/api/v1/news", headers=world.headers["parent7b"])).json()[
        "total"
    ] == 1  # the school's, not 7A's
    assert (await client.get("/api/v1/threads", headers=world.headers["parent2"])).json()[
        "total"
    ] == 0

"""Quiz and poll prompts are Markdown: their pictures are lesson assets, and they render."""

import hashlib
import io
import zipfile

from lessons.blocks import block_assets, blocks_for_display
from live.room import Actor, new_room
from live.views import view_for

PROMPT_PICTURE = "a" * 64
OPTION_PICTURE = "b" * 64
MATCH_PICTURE = "c" * 64
POLL_PICTURE = "d" * 64

BLOCKS = [
    {
        "kind": "quiz",
        "id": "q1",
        "questions": [
            {
                "kind": "single",
                "prompt": f"**Which** plan? ![plan](/assets/{PROMPT_PICTURE})",
                "options": [f"![one](/assets/{OPTION_PICTURE})", "two"],
                "answer": 0,
            },
            {
                "kind": "match",
                "prompt": "Pair them",
                "options": {"left": ["a", "b"], "right": [f"![c](/assets/{MATCH_PICTURE})", "d"]},
                "answer": [[0, 0], [1, 1]],
            },
        ],
    },
    {"kind": "poll", "id": "p1", "prompt": f"![x](/assets/{POLL_PICTURE})", "options": ["y", "n"]},
]


def test_block_assets_finds_pictures_in_prompts_and_options() -> None:
    assert block_assets(BLOCKS) == {PROMPT_PICTURE, OPTION_PICTURE, MATCH_PICTURE, POLL_PICTURE}


def test_blocks_for_display_renders_prompts_without_answer_keys() -> None:
    shown = blocks_for_display(BLOCKS, with_answers=False)
    question = shown[0]["questions"][0]
    assert "<strong>Which</strong>" in question["prompt_html"]
    assert f'src="/assets/{PROMPT_PICTURE}"' in question["prompt_html"]
    assert "answer" not in question
    assert shown[1]["prompt_html"].startswith("<p>")
    assert "prompt_html" not in BLOCKS[0]["questions"][0]  # the stored blocks are unchanged


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(120))
PNG_ID = hashlib.sha256(PNG).hexdigest()


async def test_a_prompt_picture_survives_a_qti3_round_trip(client, as_user):
    teacher = await as_user("teacher")
    upload = await client.post("/api/v1/assets", files={"file": ("map.png", PNG)}, headers=teacher)
    assert upload.status_code == 201, upload.text
    question = {
        "kind": "single",
        "prompt": f"**Look** at ![map](/assets/{PNG_ID})",
        "options": ["north", "south"],
        "answer": 0,
    }
    body = {"title": "Maps", "blocks": [{"kind": "quiz", "questions": [question]}]}
    created = await client.post("/api/v1/lessons", json=body, headers=teacher)
    assert created.status_code == 201, created.text
    lesson = (await client.get(f"/api/v1/lessons/{created.json()['id']}", headers=teacher)).json()
    prompt_html = lesson["blocks"][0]["questions"][0]["prompt_html"]
    assert "<strong>Look</strong>" in prompt_html and f"/assets/{PNG_ID}" in prompt_html
    page = await client.get(f"/lessons/{lesson['id']}", headers=teacher)
    assert '<div class="question-prompt"><p><strong>Look</strong>' in page.text

    qti = await client.get(f"/api/v1/lessons/{lesson['id']}/export?format=qti3", headers=teacher)
    assert qti.status_code == 200, qti.text
    imported = await client.post(
        "/api/v1/lessons/import", files={"file": ("quiz.zip", qti.content)}, headers=teacher
    )
    assert imported.status_code == 201, imported.text
    draft = imported.json()
    assert f"/assets/{PNG_ID}" in draft["blocks"][0]["questions"][0]["prompt"]
    again = await client.get(f"/api/v1/lessons/{draft['id']}/export", headers=teacher)
    with zipfile.ZipFile(io.BytesIO(again.content)) as archive:
        assert archive.read(f"assets/{PNG_ID}") == PNG


def test_live_projections_carry_prompt_html_but_no_answer_keys() -> None:
    # A live room's blocks are the teacher's view of the lesson version (answers included).
    state = new_room(blocks_for_display(BLOCKS, with_answers=True), title="Plans", roster=())
    pupil = Actor(101, "pupil", "Anna Kuznetsova")
    slides = view_for(state, pupil)["slides"]
    question = slides[0]["questions"][0]
    assert "<strong>Which</strong>" in question["prompt_html"]
    assert "answer" not in question
    assert "<img" in slides[1]["prompt_html"]

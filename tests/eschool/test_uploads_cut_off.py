"""A multipart body cut off inside its file part: the upload endpoints answer 400 and leave no
spool file open (Starlette's parser neither returns nor closes such a part; an unclosed one
fails this test when the garbage collector finds it, warnings being errors)."""

from __future__ import annotations

import gc

import httpx
import pytest

CUT_OFF = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK'


@pytest.mark.parametrize(
    ("login", "path"),
    [
        ("teacher", "/api/v1/assets"),
        ("admin", "/api/v1/rosters/oneroster?dry_run=1"),
        ("admin", "/api/v1/rosters/people?dry_run=1"),
    ],
)
async def test_a_cut_off_file_part_is_refused_and_closed(
    client: httpx.AsyncClient, as_user, login: str, path: str
) -> None:
    headers = {**await as_user(login), "Content-Type": "multipart/form-data; boundary=xyz"}
    for _attempt in range(3):
        response = await client.post(path, content=CUT_OFF, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"]
    gc.collect()

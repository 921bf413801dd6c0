import hashlib
import io
import json
import zipfile
from typing import Any

import pytest

from eschool.errors import DomainError
from lessons.exchange.eschool_zip import (
    FORMAT,
    FORMAT_VERSION,
    ExchangeError,
    UnpackedLesson,
    pack_lesson,
    unpack_lesson,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(40))
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 5
PNG_ID = hashlib.sha256(PNG).hexdigest()
PDF_ID = hashlib.sha256(PDF).hexdigest()
LIMIT = 10 * 1024 * 1024

LESSON: dict[str, Any] = {
    "title": "Дроби",
    "summary": "Что такое дробь",
    "subject": "Математика",
    "grades": [5, 6],
    "tags": ["дроби", "arithmetic"],
    "language": "ru",
    "licence": "CC-BY-SA-4.0",
    "authors": ["Анна Петрова"],
    "blocks": [
        {"id": "intro", "kind": "text", "text": f"Смотри ![схема](/assets/{PNG_ID})"},
        {"id": "sheet", "kind": "file", "asset": PDF_ID},
        {
            "id": "check",
            "kind": "quiz",
            "questions": [
                {
                    "kind": "number",
                    "prompt": "1/4 = ?",
                    "options": [],
                    "answer": {"value": 0.25, "tolerance": 0},
                    "points": 1,
                }
            ],
        },
    ],
}
ASSETS = {PNG_ID: ("image/png", PNG), PDF_ID: ("application/pdf", PDF)}


def archive(
    files: list[tuple[str, bytes]] | dict[str, bytes],
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(buffer, "w", compression=method) as zf:
        for name, content in items:
            zf.writestr(name, content)
    return buffer.getvalue()


def document(lesson: Any = None, **changes: Any) -> bytes:
    body = {"format": FORMAT, "format_version": FORMAT_VERSION, "lesson": lesson or LESSON}
    return json.dumps({**body, **changes}).encode()


def valid_files(**overrides: bytes) -> dict[str, bytes]:
    files = {
        "lesson.json": document(),
        f"assets/{PNG_ID}": PNG,
        f"assets/{PDF_ID}": PDF,
    }
    files.update(overrides)
    return files


def refused(data: bytes, *, max_total: int = LIMIT, max_files: int = 200) -> ExchangeError:
    with pytest.raises(ExchangeError) as caught:
        unpack_lesson(data, max_total=max_total, max_files=max_files)
    return caught.value


def test_round_trip_gives_identical_content() -> None:
    packed = pack_lesson(LESSON, ASSETS)
    unpacked = unpack_lesson(packed, max_total=LIMIT)
    assert unpacked == UnpackedLesson(lesson=LESSON, assets=ASSETS)


def test_packed_archive_layout() -> None:
    with zipfile.ZipFile(io.BytesIO(pack_lesson(LESSON, ASSETS))) as zf:
        assert sorted(zf.namelist()) == sorted(
            ["lesson.json", f"assets/{PNG_ID}", f"assets/{PDF_ID}"]
        )
        content = json.loads(zf.read("lesson.json"))
    assert content["format"] == "eschool-lesson"
    assert content["format_version"] == 1
    assert content["lesson"]["title"] == "Дроби"
    assert content["assets"][PNG_ID] == {"mime": "image/png", "size": len(PNG)}


def test_packing_is_reproducible() -> None:
    assert pack_lesson(LESSON, ASSETS) == pack_lesson(LESSON, dict(reversed(ASSETS.items())))


def test_pack_refuses_an_asset_under_the_wrong_id() -> None:
    with pytest.raises(ValueError, match="does not match"):
        pack_lesson(LESSON, {PNG_ID: ("image/png", PDF)})


def test_unreferenced_files_are_dropped_and_mime_is_sniffed() -> None:
    extra = b"GIF89a" + b"\x00" * 20
    files = valid_files(**{f"assets/{hashlib.sha256(extra).hexdigest()}": extra})
    files["README.txt"] = b"made elsewhere"
    lesson_json = json.loads(files["lesson.json"])
    lesson_json["assets"] = {PNG_ID: {"mime": "text/html", "size": 1}}  # the manifest lies
    files["lesson.json"] = json.dumps(lesson_json).encode()
    unpacked = unpack_lesson(archive(files), max_total=LIMIT)
    assert set(unpacked.assets) == {PNG_ID, PDF_ID}
    assert unpacked.assets[PNG_ID][0] == "image/png"


def test_unknown_lesson_fields_are_ignored_and_block_ids_made() -> None:
    lesson = {**LESSON, "blocks": [{"kind": "text", "text": "hi"}], "rating": 5}
    unpacked = unpack_lesson(archive({"lesson.json": document(lesson)}), max_total=LIMIT)
    assert "rating" not in unpacked.lesson
    assert unpacked.lesson["blocks"][0]["id"]  # a missing block id is generated


def test_a_missing_lesson_field_is_an_error_not_a_default() -> None:
    lesson = {key: value for key, value in LESSON.items() if key != "language"}
    error = refused(archive(valid_files(**{"lesson.json": document(lesson)})))
    assert (error.code, error.status) == ("invalid_lesson", 422)
    assert error.message == "lesson.json: lesson.language: Field required"


def test_exchange_error_is_a_domain_error() -> None:
    error = refused(b"plain text")
    assert isinstance(error, DomainError)
    assert (error.code, error.status) == ("not_a_zip", 400)
    assert error.message


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "not_a_zip", 400),
        (b"PK\x03\x04 truncated", "not_a_zip", 400),
        (archive({"other.json": b"{}"}), "missing_lesson", 400),
        (archive({"lesson.json": b"\xff\xfe not utf-8"}), "invalid_lesson", 400),
        (archive({"lesson.json": b"{not json"}), "invalid_lesson", 400),
        (archive({"lesson.json": b"[" * 100_000 + b"]" * 100_000}), "invalid_lesson", 400),
        (archive({"lesson.json": b"[]"}), "invalid_lesson", 400),
        (archive({"lesson.json": document(format="moodle")}), "wrong_format", 400),
        (archive({"lesson.json": document(format_version=2)}), "unsupported_version", 400),
        (archive({"lesson.json": document(format_version="1")}), "unsupported_version", 400),
        (archive({"lesson.json": document(format_version=True)}), "unsupported_version", 400),
        (archive({"lesson.json": document(lesson="x")}), "invalid_lesson", 422),
        (
            archive({"lesson.json": document({**LESSON, "title": " "})}),
            "invalid_lesson",
            422,
        ),
        (
            archive({"lesson.json": document({**LESSON, "blocks": [{"kind": "applet"}]})}),
            "invalid_lesson",
            422,
        ),
        (archive({"lesson.json": document()}), "missing_asset", 400),
        (archive(valid_files(**{f"assets/{PNG_ID}": PNG + b"!"})), "asset_hash_mismatch", 400),
    ],
)
def test_malformed_archives_are_refused(data: bytes, code: str, status: int) -> None:
    error = refused(data)
    assert (error.code, error.status) == (code, status)


def test_invalid_blocks_are_explained() -> None:
    bad = {**LESSON, "blocks": [{"kind": "quiz", "questions": []}]}
    error = refused(archive({"lesson.json": document(bad)}))
    assert "blocks.0.quiz.questions" in error.message
    assert "at least 1 item" in error.message


@pytest.mark.parametrize(
    "name",
    [
        "../lesson.json",
        "assets/../../etc/passwd",
        "/etc/passwd",
        "assets\\..\\evil",
        "C:/windows/evil",
        "assets//x",
        "./lesson.json",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    error = refused(archive([*valid_files().items(), (name, b"x")]))
    assert (error.code, error.status) == ("unsafe_name", 400)


def test_a_name_with_a_nul_byte_is_refused() -> None:
    # zipfile cannot write such a name, so it is patched into the headers afterwards;
    # zipfile would read it back truncated to "assets/", hiding the trick.
    data = archive([*valid_files().items(), ("assets/NUL.png", b"x")])
    assert data.count(b"assets/NUL.png") == 2  # the local and the central header
    assert refused(data.replace(b"assets/NUL.png", b"assets/\x00UL.png")).code == "unsafe_name"


def test_duplicate_names_are_refused() -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = archive([*valid_files().items(), ("lesson.json", document())])
    assert refused(data).code == "duplicate_name"


def test_encrypted_members_are_refused() -> None:
    data = bytearray(archive(valid_files()))
    # Set the "encrypted" flag in the central directory entry of the first member.
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    assert refused(bytes(data)).code == "encrypted"


def test_too_many_files() -> None:
    files = [*valid_files().items(), *((f"notes/{i}.txt", b"") for i in range(10))]
    error = refused(archive(files), max_files=12)
    assert (error.code, error.status) == ("too_many_files", 413)
    assert unpack_lesson(archive(files), max_total=LIMIT, max_files=13).lesson["title"] == "Дроби"


def test_declared_total_size_over_the_limit() -> None:
    error = refused(archive(valid_files()), max_total=len(PNG) + len(PDF))
    assert (error.code, error.status) == ("too_large", 413)


def test_zip_bomb_is_refused_by_its_compression_ratio() -> None:
    bomb = archive(valid_files(**{"padding.bin": b"\x00" * (8 * 1024 * 1024)}))
    assert len(bomb) < 100_000
    error = refused(bomb, max_total=100 * 1024 * 1024)
    assert (error.code, error.status) == ("compression_ratio", 400)


def lie_about_size(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in both its local and central headers."""
    patched = bytearray(data)
    local = patched.find(b"PK\x03\x04")
    while local != -1:
        name_length = int.from_bytes(patched[local + 26 : local + 28], "little")
        if patched[local + 30 : local + 30 + name_length] == name:
            patched[local + 22 : local + 26] = size.to_bytes(4, "little")
        local = patched.find(b"PK\x03\x04", local + 4)
    central = patched.find(b"PK\x01\x02")
    while central != -1:
        name_length = int.from_bytes(patched[central + 28 : central + 30], "little")
        if patched[central + 46 : central + 46 + name_length] == name:
            patched[central + 24 : central + 28] = size.to_bytes(4, "little")
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


def test_a_member_that_unpacks_beyond_its_declared_size_is_cut_off() -> None:
    # The header claims 1 KiB, so the declared-size and ratio checks pass; reading stops
    # at the claim instead of inflating the whole 4 MiB.
    body = json.dumps({**json.loads(document()), "pad": " " * (4 * 1024 * 1024)}).encode()
    data = lie_about_size(archive(valid_files(**{"lesson.json": body})), b"lesson.json", 1024)
    error = refused(data)
    assert (error.code, error.status) == ("corrupt_zip", 400)


def test_declared_sizes_are_added_up_over_members() -> None:
    # Every member stays under the ratio threshold but together they exceed the limit.
    filler = [(f"notes/{i}.txt", b"\x00" * (1024 * 1024)) for i in range(3)]
    data = archive([*valid_files().items(), *filler])
    error = refused(data, max_total=3 * 1024 * 1024)
    assert (error.code, error.status) == ("too_large", 413)


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 a windows program",
        b"PK\x03\x04 a nested zip",
    ],
)
def test_assets_of_a_disallowed_type_are_refused(content: bytes) -> None:
    asset_id = hashlib.sha256(content).hexdigest()
    lesson = {**LESSON, "blocks": [{"kind": "file", "asset": asset_id}]}
    data = archive({"lesson.json": document(lesson), f"assets/{asset_id}": content})
    error = refused(data)
    assert (error.code, error.status) == ("unsupported_type", 415)


def test_stored_and_deflated_archives_both_read() -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        unpacked = unpack_lesson(archive(valid_files(), method), max_total=LIMIT)
        assert unpacked.assets[PDF_ID] == ("application/pdf", PDF)

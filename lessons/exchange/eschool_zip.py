"""The open lesson exchange format: one zip holding a lesson and the files it uses.

Layout of a version 1 archive (docs/lesson-zip.md; the JSON Schema of ``lesson.json`` is
generated from :mod:`lessons.exchange.zip_model` and served at
``GET /api/v1/lessons/zip.schema.json``)::

    lesson.json        {"format": "eschool-lesson", "format_version": 1,
                        "lesson": {"title", "summary", "subject", "grades", "tags",
                                   "language", "licence", "authors", "blocks"},
                        "assets": {"<sha256>": {"mime", "size"}}}
    assets/<sha256>    each file, named by the sha256 hex of its content

Reading an archive trusts nothing in it: names, sizes and decompression are checked by
:mod:`lessons.exchange.safe_zip`, hashes and media types here, and ``lesson.json`` must fit
its model, every field the writer emits required (422 ``invalid_lesson`` naming the field).
(``ExchangeError`` lives in ``safe_zip``; it is importable from here too, as the readers
always did.)
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from eschool.uploads.sniff import ALLOWED_KINDS, SNIFF_BYTES, sniff_mime
from lessons.blocks import Blocks, block_assets, blocks_to_json
from lessons.exchange.safe_zip import ExchangeError, SafeZip
from lessons.exchange.zip_model import FORMAT, FORMAT_VERSION, LESSON_ZIP_VERSIONS

LESSON_JSON = "lesson.json"
ASSETS_DIR = "assets/"
MAX_LESSON_JSON_BYTES = 8 * 1024 * 1024
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # reproducible archives
_MAX_ERRORS_SHOWN = 5


@dataclass(frozen=True)
class UnpackedLesson:
    """A validated lesson and its files: ``assets`` maps sha256 → (mime, content)."""

    lesson: dict[str, Any]
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)


Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class ExchangedLesson(BaseModel):
    """The lesson the other formats' readers build (GIFT, Aiken, QTI 2.1), checked before
    ``LessonCreate``; unknown keys are dropped. Our own ``lesson.json`` is read strictly, by
    :mod:`lessons.exchange.zip_model`."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    summary: Annotated[str, StringConstraints(max_length=2000)] = ""
    subject: Label = ""
    grades: Annotated[list[Annotated[int, Field(ge=1, le=12)]], Field(max_length=12)] = []
    tags: Annotated[list[Annotated[Label, Field(min_length=1)]], Field(max_length=20)] = []
    language: Annotated[str, StringConstraints(max_length=16)] = ""
    licence: Label = ""
    authors: Annotated[list[Label], Field(max_length=20)] = []
    blocks: Blocks


def pack_lesson(lesson: dict, assets: dict[str, tuple[str, bytes]]) -> bytes:
    """Write a lesson and its files into an exchange zip.

    ``lesson`` is a JSON-ready dict (title, summary, subject, grades, tags, language,
    licence, blocks, …); ``assets`` maps sha256 hex → (mime, content). Raises
    ``ValueError`` when an asset's content does not match its id.
    """
    manifest: dict[str, dict[str, Any]] = {}
    for asset_id, (mime, content) in sorted(assets.items()):
        if hashlib.sha256(content).hexdigest() != asset_id:
            raise ValueError(f"asset {asset_id} does not match the sha256 of its content")
        manifest[asset_id] = {"mime": mime, "size": len(content)}
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lesson": lesson,
        "assets": manifest,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, LESSON_JSON, json.dumps(document, ensure_ascii=False, indent=1).encode())
        for asset_id, (_, content) in sorted(assets.items()):
            # Media is compressed already; storing it keeps export cheap.
            _write(archive, ASSETS_DIR + asset_id, content, zipfile.ZIP_STORED)
    return buffer.getvalue()


def _write(
    archive: zipfile.ZipFile, name: str, content: bytes, method: int = zipfile.ZIP_DEFLATED
) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    archive.writestr(info, content)


def unpack_lesson(data: bytes, *, max_total: int, max_files: int = 200) -> UnpackedLesson:
    """Read and check an exchange zip; return the validated lesson and the files it uses.

    ``max_total`` caps the uncompressed size of the whole archive. Files the lesson does
    not reference are dropped. Raises ``ExchangeError`` (400 malformed or hostile,
    413 too big, 415 a file type that lessons may not carry).
    """
    with SafeZip(data, max_total=max_total, max_files=max_files) as archive:
        if not archive.has(LESSON_JSON):
            raise ExchangeError("missing_lesson", "the archive has no lesson.json")
        document = _parse_document(archive.read(LESSON_JSON, MAX_LESSON_JSON_BYTES))
        lesson = read_lesson_json(document)
        wanted = block_assets(lesson["blocks"])
        assets: dict[str, tuple[str, bytes]] = {}
        for asset_id in sorted(wanted):
            if not archive.has(ASSETS_DIR + asset_id):
                raise ExchangeError(
                    "missing_asset",
                    f"the lesson uses asset {asset_id}, missing from the archive",
                )
            content = archive.read(ASSETS_DIR + asset_id)
            assets[asset_id] = (_check_asset(asset_id, content), content)
    return UnpackedLesson(lesson=lesson, assets=assets)


def _parse_document(raw: bytes) -> dict[str, Any]:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ExchangeError("invalid_lesson", "lesson.json is not valid UTF-8 JSON") from error
    if not isinstance(document, dict):
        raise ExchangeError("invalid_lesson", "lesson.json must hold a JSON object")
    if document.get("format") != FORMAT:
        raise ExchangeError("wrong_format", f"lesson.json is not an {FORMAT!r} document")
    version = document.get("format_version")
    if type(version) is not int or version not in LESSON_ZIP_VERSIONS:
        raise ExchangeError(
            "unsupported_version",
            f"format version {version!r} is not supported (this server reads {FORMAT_VERSION})",
        )
    return document


def read_lesson_json(document: dict[str, Any]) -> dict[str, Any]:
    """The lesson of a parsed ``lesson.json`` as JSON, checked against the model of its format
    version; a missing or invalid field is 422 ``invalid_lesson`` naming it (``details``:
    every problem as ``{"loc", "message"}``)."""
    model = LESSON_ZIP_VERSIONS[document["format_version"]]
    try:
        lesson = model.model_validate(document).lesson
    except ValidationError as error:
        problems = [
            {"loc": [str(part) for part in problem["loc"]], "message": problem["msg"]}
            for problem in error.errors(include_url=False, include_context=False)
        ]
        shown = "; ".join(
            f"{'.'.join(problem['loc'])}: {problem['message']}"
            for problem in problems[:_MAX_ERRORS_SHOWN]
        )
        raise ExchangeError("invalid_lesson", f"{LESSON_JSON}: {shown}", 422, problems) from error
    result = lesson.model_dump(mode="json", exclude={"blocks"})
    result["blocks"] = blocks_to_json(lesson.blocks)
    return result


def validate_lesson(raw: Any) -> dict[str, Any]:
    """A lesson another format's reader built, as JSON, validated like an authored lesson (the
    GIFT, Aiken and QTI 2.1 readers build theirs through this); ``ExchangeError`` naming the
    first problems."""
    try:
        lesson = ExchangedLesson.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'lesson'}: {problem['msg']}"
            for problem in error.errors()[:_MAX_ERRORS_SHOWN]
        )
        raise ExchangeError("invalid_lesson", f"the lesson is not valid: {problems}") from error
    document = lesson.model_dump(mode="json", exclude={"blocks"})
    document["blocks"] = blocks_to_json(lesson.blocks)
    return document


def _check_asset(asset_id: str, content: bytes) -> str:
    """Return the asset's sniffed media type, refusing a wrong hash or a disallowed type."""
    if hashlib.sha256(content).hexdigest() != asset_id:
        raise ExchangeError(
            "asset_hash_mismatch", f"asset {asset_id} does not match the sha256 of its content"
        )
    mime = sniff_mime(content[:SNIFF_BYTES])
    if mime is None or mime not in ALLOWED_KINDS:
        raise ExchangeError(
            "unsupported_type", f"asset {asset_id} is not a file type lessons may carry", 415
        )
    return mime

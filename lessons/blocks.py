"""Lesson blocks: the pydantic models that validate them, and pure helpers over stored blocks.

A lesson's content is a list of blocks, each a dict with a ``kind`` and an ``id`` (see
CONTRACT.md, Lessons). Validation happens once, on the way in (``parse_blocks``); the
stored form is plain JSON (``blocks_to_json``), and the helpers below take that form.
Error messages reach teachers as 422 details, so they say what to fix.
"""

from __future__ import annotations

import copy
import math
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    model_validator,
)

from lessons.markdown import markdown_to_text, render_markdown

MAX_BLOCKS = 200
MAX_TEXT_CHARS = 50_000
MAX_PROMPT_CHARS = 2_000
MAX_OPTION_CHARS = 500
MAX_ALT_CHARS = 500
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MIN_QUESTIONS, MAX_QUESTIONS = 1, 50
MAX_ACCEPTED_TEXTS = 20
MAX_POINTS = 100

BLOCK_KINDS = ("text", "image", "video", "file", "quiz", "poll", "whiteboard")
QUESTION_KINDS = ("single", "multiple", "text", "number", "order", "match")
ASSET_BLOCK_KINDS = ("image", "video", "file")

_ASSET_ID = re.compile(r"[0-9a-f]{64}")
# An asset embedded in Markdown, e.g. ![plan](/assets/<sha256>) or /api/v1/assets/<sha256>.
_ASSET_URL = re.compile(r"/assets/([0-9a-f]{64})(?![0-9a-f])")


def new_block_id() -> str:
    """Return a fresh random block id (11 URL-safe characters)."""
    return secrets.token_urlsafe(8)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _finite_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _points_in_range(value: int | float) -> int | float:
    if not 0 < value <= MAX_POINTS:
        raise ValueError(f"points must be more than 0 and at most {MAX_POINTS}")
    return value


def _not_negative(value: int | float) -> int | float:
    if value < 0:
        raise ValueError("tolerance must not be negative")
    return value


BlockId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$"),
]
AssetId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    WithJsonSchema({"type": "string", "description": "sha256 hex of the file's content"}),
]
Number = Annotated[int | float, PlainValidator(_finite_number), WithJsonSchema({"type": "number"})]
Points = Annotated[Number, AfterValidator(_points_in_range)]
Prompt = Annotated[str, StringConstraints(max_length=MAX_PROMPT_CHARS), AfterValidator(_not_blank)]
OptionText = Annotated[
    str, StringConstraints(max_length=MAX_OPTION_CHARS), AfterValidator(_not_blank)
]
Options = Annotated[list[OptionText], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS)]
NoOptions = Annotated[list[OptionText], Field(max_length=0)]
Index = Annotated[StrictInt, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _QuestionBase(_Strict):
    kind: str  # narrowed to a Literal by each kind; declared here so it comes first
    prompt: Prompt
    points: Points = 1
    # Responses add the rendered ``prompt_html``; accepted back and dropped, never stored.
    prompt_html: str | None = Field(default=None, exclude=True)


class SingleQuestion(_QuestionBase):
    """One right option: ``answer`` is its index."""

    kind: Literal["single"]
    options: Options
    answer: Index

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> SingleQuestion:
        _check_in_range("answer", [self.answer], len(self.options))
        return self


class MultipleQuestion(_QuestionBase):
    """Several right options: ``answer`` lists their indices."""

    kind: Literal["multiple"]
    options: Options
    answer: Annotated[list[Index], Field(min_length=1, max_length=MAX_OPTIONS)]

    @model_validator(mode="after")
    def _answer_is_distinct_options(self) -> MultipleQuestion:
        if len(set(self.answer)) != len(self.answer):
            raise ValueError("answer must not list an option twice")
        _check_in_range("answer", self.answer, len(self.options))
        return self


class TextQuestion(_QuestionBase):
    """A typed answer: ``answer`` lists the accepted spellings (compared case-insensitively)."""

    kind: Literal["text"]
    options: NoOptions = []
    answer: Annotated[list[OptionText], Field(min_length=1, max_length=MAX_ACCEPTED_TEXTS)]


class NumberKey(_Strict):
    """The right number and how far from it an answer may be."""

    value: Number
    tolerance: Annotated[Number, AfterValidator(_not_negative)] = 0


class NumberQuestion(_QuestionBase):
    """A numeric answer within ``answer.tolerance`` of ``answer.value``."""

    kind: Literal["number"]
    options: NoOptions = []
    answer: NumberKey


class OrderQuestion(_QuestionBase):
    """Put the options in order: ``answer`` lists option indices in the right order."""

    kind: Literal["order"]
    options: Options
    answer: list[Index]

    @model_validator(mode="after")
    def _answer_is_a_permutation(self) -> OrderQuestion:
        if sorted(self.answer) != list(range(len(self.options))):
            raise ValueError(
                f"answer must list every option index 0..{len(self.options) - 1} exactly once"
            )
        return self


class MatchOptions(_Strict):
    """The two columns of a matching question."""

    left: Options
    right: Options


class MatchQuestion(_QuestionBase):
    """Match left items to right items: ``answer`` lists ``[left, right]`` index pairs."""

    kind: Literal["match"]
    options: MatchOptions
    answer: Annotated[list[tuple[Index, Index]], Field(max_length=MAX_OPTIONS)]

    @model_validator(mode="after")
    def _answer_pairs_every_left_once(self) -> MatchQuestion:
        lefts = [left for left, _ in self.answer]
        if sorted(lefts) != list(range(len(self.options.left))):
            raise ValueError("answer must pair every left item exactly once")
        _check_in_range("answer right item", [r for _, r in self.answer], len(self.options.right))
        return self


Question = Annotated[
    SingleQuestion
    | MultipleQuestion
    | TextQuestion
    | NumberQuestion
    | OrderQuestion
    | MatchQuestion,
    Field(discriminator="kind"),
]


def _check_in_range(what: str, indices: Iterable[int], count: int) -> None:
    for index in indices:
        if index >= count:
            raise ValueError(f"{what} {index} is not an option index (0..{count - 1})")


class _BlockBase(_Strict):
    id: BlockId = Field(default_factory=new_block_id)

    @model_validator(mode="before")
    @classmethod
    def _null_id_means_new(cls, data: Any) -> Any:
        # An editor may send ``"id": null`` for a block it has just added.
        if isinstance(data, dict) and "id" in data and data["id"] is None:
            return {key: value for key, value in data.items() if key != "id"}
        return data


class TextBlock(_BlockBase):
    """Markdown text."""

    kind: Literal["text"]
    text: Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS)]
    # Responses add the rendered ``html``; a client that sends a block back unchanged
    # may include it. It is accepted and dropped, never stored: the server renders its own.
    html: str | None = Field(default=None, exclude=True)


class ImageBlock(_BlockBase):
    """A picture from the asset store, with its text alternative."""

    kind: Literal["image"]
    asset: AssetId
    alt: Annotated[str, StringConstraints(max_length=MAX_ALT_CHARS)] = ""


class VideoBlock(_BlockBase):
    """A video (or audio) file from the asset store."""

    kind: Literal["video"]
    asset: AssetId


class FileBlock(_BlockBase):
    """A downloadable file from the asset store."""

    kind: Literal["file"]
    asset: AssetId


class QuizBlock(_BlockBase):
    """Questions scored by ``lessons.scoring``."""

    kind: Literal["quiz"]
    questions: Annotated[list[Question], Field(min_length=MIN_QUESTIONS, max_length=MAX_QUESTIONS)]


class PollBlock(_BlockBase):
    """A question without a right answer; the class votes."""

    kind: Literal["poll"]
    prompt: Prompt
    options: Options
    prompt_html: str | None = Field(default=None, exclude=True)  # as on questions


class WhiteboardBlock(_BlockBase):
    """A shared drawing surface, optionally over a background picture."""

    kind: Literal["whiteboard"]
    background: AssetId | None = None


Block = Annotated[
    TextBlock | ImageBlock | VideoBlock | FileBlock | QuizBlock | PollBlock | WhiteboardBlock,
    Field(discriminator="kind"),
]


def _unique_block_ids(blocks: list[Any]) -> list[Any]:
    seen: set[str] = set()
    for block in blocks:
        if block.id in seen:
            raise ValueError(f"block id {block.id!r} is used twice")
        seen.add(block.id)
    return blocks


Blocks = Annotated[list[Block], Field(max_length=MAX_BLOCKS), AfterValidator(_unique_block_ids)]
"""A lesson's block list, for use as a field type in other models (ids must be unique)."""

_BLOCKS = TypeAdapter(Blocks, config=ConfigDict(title="blocks"))


def parse_blocks(raw: list) -> list[Block]:
    """Validate raw blocks (JSON-like data); give missing ids fresh ones.

    Raises ``pydantic.ValidationError`` with a location and a message for each problem.
    """
    return _BLOCKS.validate_python(raw)


def blocks_to_json(blocks: Sequence[BaseModel]) -> list[dict]:
    """Return the stored, JSON-ready form of validated blocks."""
    return [block.model_dump(mode="json") for block in blocks]


def strip_answer_keys(blocks: list[dict]) -> list[dict]:
    """Return a copy of stored blocks with every question's ``answer`` removed (for pupils)."""
    stripped = copy.deepcopy(blocks)
    for question in _questions(stripped):
        question.pop("answer", None)
    return stripped


def blocks_for_display(blocks: list[dict], *, with_answers: bool) -> list[dict]:
    """Return stored blocks as responses carry them: text blocks gain ``html``, every quiz
    question and poll gains ``prompt_html`` (its Markdown prompt rendered and sanitized).

    Answer keys are kept only when ``with_answers`` (teachers); the input is not changed.
    """
    shown = copy.deepcopy(blocks) if with_answers else strip_answer_keys(blocks)
    for block in shown:
        if block.get("kind") == "text":
            block["html"] = render_markdown(str(block.get("text", "")))
        elif block.get("kind") == "poll":
            block["prompt_html"] = render_markdown(str(block.get("prompt", "")))
    for question in _questions(shown):
        question["prompt_html"] = render_markdown(str(question.get("prompt", "")))
    return shown


def block_assets(blocks: list[dict]) -> set[str]:
    """Return every asset id the blocks use, including ``/assets/<id>`` links inside Markdown."""
    assets: set[str] = set()
    for block in blocks:
        kind = block.get("kind")
        if kind in ASSET_BLOCK_KINDS:
            candidates = [block.get("asset")]
        elif kind == "whiteboard":
            candidates = [block.get("background")]
        elif kind == "text":
            candidates = _ASSET_URL.findall(str(block.get("text", "")))
        elif kind in ("quiz", "poll"):
            candidates = _ASSET_URL.findall("\n".join(_question_texts(block)))
        else:
            candidates = []
        assets.update(c for c in candidates if isinstance(c, str) and _ASSET_ID.fullmatch(c))
    return assets


def block_search_text(blocks: Sequence[BaseModel | Mapping[str, Any]]) -> str:
    """Return the searchable plain text of blocks: text blocks' words, quiz and poll prompts."""
    parts: list[str] = []
    for item in blocks:
        block = item.model_dump() if isinstance(item, BaseModel) else item
        kind = block.get("kind")
        if kind == "text":
            parts.append(markdown_to_text(str(block.get("text", ""))))
        elif kind == "poll":
            parts.append(str(block.get("prompt", "")))
        elif kind == "quiz":
            parts.extend(str(q.get("prompt", "")) for q in _questions([block]))
    return "\n".join(part for part in parts if part)


def _question_texts(block: Mapping[str, Any]) -> Iterator[str]:
    """Yield the Markdown a quiz or poll block shows: prompts and options of every shape."""
    items = list(_questions([block])) if block.get("kind") == "quiz" else [block]
    for item in items:
        yield str(item.get("prompt", ""))
        options = item.get("options")
        if isinstance(options, dict):  # a match question's two columns
            options = [*(options.get("left") or []), *(options.get("right") or [])]
        if isinstance(options, list):
            yield from (option for option in options if isinstance(option, str))


def _questions(blocks: Iterable[Mapping[str, Any]]) -> Iterator[dict]:
    for block in blocks:
        if block.get("kind") != "quiz":
            continue
        questions = block.get("questions")
        if isinstance(questions, list):
            yield from (q for q in questions if isinstance(q, dict))

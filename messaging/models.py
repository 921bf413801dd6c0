"""Tables of messaging — threads, their participants and messages (with attachments from the
shared upload store), class broadcasts, and news with their audiences — and the wire models
of its API."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field as WireField
from pydantic import WithJsonSchema, field_validator, model_validator
from sqlalchemy import Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import ItemList, Public
from eschool.models import MAX_ID, ClassRef, Id, PersonName, Role, WireModel, WireQuery
from eschool.timeutil import utcnow
from eschool.uploads.models import FILENAME_MAX, MIME_MAX, SHA256_PATTERN, Sha256

MAX_SUBJECT = 200
MAX_TEXT = 10_000
MAX_RECIPIENTS = 50
MAX_ATTACHMENTS = 10
PREVIEW = 160  # characters of the last message shown in the list of threads
Subject = Annotated[str, WireField(min_length=1, max_length=MAX_SUBJECT)]
MessageText = Annotated[str, WireField(min_length=1, max_length=MAX_TEXT)]
# A moment as ``eschool.timeutil.iso`` writes it: UTC, to the second, with ``Z``.
IsoTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Thread(SQLModel, table=True):
    """A private conversation; only its participants read it."""

    __tablename__ = "threads"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    subject: str = Field(max_length=MAX_SUBJECT)
    created_by: int = Field(foreign_key="users.id", index=True)
    # The child a family's thread is about, when there is exactly one.
    pupil_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcasts.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow, index=True)


class ThreadParticipant(SQLModel, table=True):
    """Who takes part in a thread, and the last message they have read."""

    __tablename__ = "thread_participants"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="threads.id")  # the unique key's first column indexes it
    user_id: int = Field(foreign_key="users.id", index=True)
    last_read_id: int = Field(default=0)


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key="threads.id", index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class MessageAttachment(SQLModel, table=True):
    """A stored file (by its sha256 in the upload store) attached to a message."""

    __tablename__ = "message_attachments"
    __table_args__ = (UniqueConstraint("message_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id")
    sha256: str = Field(max_length=64, index=True)


class Broadcast(SQLModel, table=True):
    """A message a teacher sent to all parents of a class: one private thread per family."""

    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    class_id: int = Field(foreign_key="classes.id", index=True)
    created_by: int = Field(foreign_key="users.id", index=True)
    subject: str = Field(max_length=MAX_SUBJECT)
    created_at: datetime = Field(default_factory=utcnow)


class NewsItem(SQLModel, table=True):
    """An announcement by the administration (school) or a form tutor (class)."""

    __tablename__ = "news"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=MAX_SUBJECT)
    text: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class NewsAudience(SQLModel, table=True):
    """Who sees a news item: everyone of ``role`` in the school, or in class ``class_id``."""

    __tablename__ = "news_audiences"

    id: int | None = Field(default=None, primary_key=True)
    news_id: int = Field(foreign_key="news.id", index=True)
    role: str = Field(max_length=16)
    class_id: int | None = Field(default=None, foreign_key="classes.id", index=True)


# --- wire models -----------------------------------------------------------------------


class NewsRole(StrEnum):
    """Audience groups of a news item."""

    staff = "staff"
    pupils = "pupils"
    parents = "parents"


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _subject(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class ThreadCreate(WireModel):
    """``to`` (people) or ``class_parents`` (every family of a class), not both."""

    to: list[Id] | None = WireField(default=None, min_length=1, max_length=MAX_RECIPIENTS)
    class_parents: Id | None = None
    subject: Subject
    text: MessageText
    attachments: list[str] = WireField(default_factory=list, max_length=MAX_ATTACHMENTS)

    _subject = field_validator("subject")(_subject)
    _text = field_validator("text")(_text)

    @field_validator("attachments")
    @classmethod
    def _shas(cls, values: list[str]) -> list[str]:
        return _check_shas(values)

    @model_validator(mode="after")
    def _one_audience(self) -> ThreadCreate:
        if (self.to is None) == (self.class_parents is None):
            raise ValueError("give either to (people) or class_parents (a class id)")
        return self


class MessageCreate(WireModel):
    text: MessageText
    attachments: list[str] = WireField(default_factory=list, max_length=MAX_ATTACHMENTS)

    _text = field_validator("text")(_text)

    @field_validator("attachments")
    @classmethod
    def _shas(cls, values: list[str]) -> list[str]:
        return _check_shas(values)


def _check_shas(values: list[str]) -> list[str]:
    for value in values:
        if not isinstance(value, str) or not re.fullmatch(SHA256_PATTERN, value):
            raise ValueError("an attachment is the id of an uploaded file")
    return list(dict.fromkeys(values))


class NewsCreate(WireModel):
    """``roles`` (default: everyone) within the whole school, or within ``class_ids``."""

    title: Subject
    text: MessageText
    roles: list[NewsRole] = WireField(
        default_factory=lambda: list(NewsRole), min_length=1, max_length=3
    )
    class_ids: list[Id] | None = WireField(default=None, min_length=1, max_length=50)

    _title = field_validator("title")(_subject)
    _text = field_validator("text")(_text)


class ThreadsQuery(WireQuery):
    """``GET /threads``: the page, or the family threads of one of my class broadcasts."""

    page: int = WireField(default=1, ge=1, le=MAX_ID)
    per_page: int = WireField(default=20, ge=1, le=200)
    broadcast: Id | None = WireField(
        default=None, description="List the family threads of this broadcast of mine instead."
    )


class NewsQuery(WireQuery):
    """``GET /news``: the page."""

    page: int = WireField(default=1, ge=1, le=MAX_ID)
    per_page: int = WireField(default=20, ge=1, le=200)


# --- answers ---------------------------------------------------------------------------


class PersonPublic(Public):
    """A participant, an author, a recipient."""

    id: Id
    name: PersonName
    role: Role


class PupilRefPublic(Public):
    """The child a family's thread is about."""

    id: Id
    name: PersonName


class ClassRefPublic(Public):
    """A class, by id and name."""

    id: Id
    name: ClassRef


class RecipientGroupPublic(Public):
    """People one may write to, grouped for a picker (staff, a class's pupils…)."""

    key: str = WireField(description="`staff`, `class-<id>`, `pupils-<id>`, `parents-<id>`.")
    title: str
    people: list[PersonPublic]


class RecipientsPublic(Public):
    """Whom I may write to, and the classes whose parents I may write to at once."""

    groups: list[RecipientGroupPublic]
    class_parents: list[ClassRefPublic]


class LastMessagePublic(Public):
    """The latest message of a thread, its text shortened."""

    author: PersonPublic | None
    text: str = WireField(max_length=PREVIEW)
    at: IsoTime


class ThreadSummaryPublic(Public):
    """A thread in my list."""

    kind: Literal["thread"]
    id: Id
    subject: Subject
    participants: list[PersonPublic]
    pupil: PupilRefPublic | None
    broadcast_id: Id | None
    unread: int = WireField(ge=0)
    last_at: IsoTime
    last_message: LastMessagePublic | None


class BroadcastSummaryPublic(Public):
    """One of my class broadcasts in my list: its family threads counted as one entry."""

    kind: Literal["broadcast"]
    id: Id
    subject: Subject
    threads: int = WireField(ge=1, description="How many family threads it started.")
    unread: int = WireField(ge=0)
    last_at: IsoTime
    class_: ClassRefPublic | None = WireField(alias="class")


ThreadEntry = Annotated[
    ThreadSummaryPublic | BroadcastSummaryPublic, WireField(discriminator="kind")
]


class ThreadListPublic(ItemList[ThreadEntry]):
    """A page of my threads, latest first, and how many messages are unread in all."""

    unread: int = WireField(ge=0)


class AttachmentPublic(Public):
    """A file attached to a message (type, size and name unknown once it is gone)."""

    id: Sha256
    url: str
    mime: str | None = WireField(default=None, max_length=MIME_MAX)
    size: int | None = WireField(default=None, ge=0)
    filename: str | None = WireField(default=None, max_length=FILENAME_MAX)


class MessagePublic(Public):
    """A message of a thread."""

    id: Id
    author: PersonPublic | None
    mine: bool
    text: MessageText
    at: IsoTime
    attachments: list[AttachmentPublic]


class ThreadDetailPublic(Public):
    """A thread with its messages, oldest first (the latest 500); ``unread``: how many were
    new to me before this read."""

    id: Id
    subject: Subject
    participants: list[PersonPublic]
    pupil: PupilRefPublic | None
    broadcast_id: Id | None
    created_by: Id
    unread: int = WireField(ge=0)
    messages: list[MessagePublic]


class ThreadStartedPublic(ThreadDetailPublic):
    """A new thread."""

    kind: Literal["thread"]


class BroadcastStartedPublic(Public):
    """A new class broadcast: one private thread per family."""

    kind: Literal["broadcast"]
    id: Id
    threads: list[Id]
    url: str


ThreadStarted = Annotated[
    ThreadStartedPublic | BroadcastStartedPublic, WireField(discriminator="kind")
]


class NewsAudiencePublic(Public):
    """Who sees a news item: these groups, in the whole school or in these classes."""

    roles: list[NewsRole]
    classes: list[ClassRefPublic] | None = WireField(description="None: the whole school.")


class NewsPublic(Public):
    """A news item, and whether I may delete it."""

    id: Id
    title: Subject
    text: MessageText
    author: PersonPublic | None
    at: IsoTime
    audience: NewsAudiencePublic
    can_delete: bool

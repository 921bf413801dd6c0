"""One page of a library search, read without loading whole lessons (``lessons.queries``).

The matching rows are collected once with their sort keys (narrow rows, from the search index
and the narrow indexes of ``lessons_0002``), counted, and only the page shown is sorted out of
them and joined to its lessons, faces and authors, selecting just the columns lists show.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BigInteger, Integer, Row, Select, bindparam, func, literal_column
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select as RowsSelect
from sqlmodel.sql.expression import SelectOfScalar

from eschool.models import User
from lessons.models import Lesson, LessonVersion

SortKeys = list[tuple[Any, bool]]  # (column, descending)
# (lesson, face, author, changed): the lesson and its face with the listed columns only.
Listed = tuple[SimpleNamespace, SimpleNamespace, dict[str, Any], Any]

_LESSON_LISTED = (
    "status",
    "version",
    "revision",
    "published_revision",
    "published_at",
    "updated_at",
    "copied_from_id",
    "copied_from_version",
    "copied_from_title",
    "copied_from_author",
    "copies",
)
_FACE_LISTED = ("title", "summary", "subject", "grades", "tags", "language", "licence", "credits")
# The kinds of block a face has, one per line, read by the database from its ``blocks`` (only
# for the page shown): decoding every block of the page in Python was most of a search's work.
_BLOCK_KINDS = {
    "sqlite": "(SELECT group_concat(kind, char(10)) FROM (SELECT DISTINCT "
    "json_extract(value, '$.kind') AS kind FROM json_each({table}.blocks)))",
    "postgresql": "(SELECT string_agg(DISTINCT block ->> 'kind', E'\\n') "
    "FROM json_array_elements({table}.blocks) AS block)",
}


@dataclass(frozen=True)
class SearchStatements:
    """The statements of one shape of search (``page_statements``), run with its values."""

    page: RowsSelect[*tuple[Any, ...]]  # the rows shown, each with the total
    count: SelectOfScalar[int]  # the matches counted alone (a page past the end)


def page_statements(
    matches: Select, keys: SortKeys, *, working: bool, dialect: str
) -> SearchStatements:
    """The statements of a page of ``matches`` (columns ``lesson_id``, ``face_id``) in the
    order of ``keys``, with the total; the page is chosen by the parameters ``page_offset``
    and ``page_limit``. The matches are collected once with their sort keys (narrow rows),
    counted, and only the page shown is sorted out of them (a top-N sort) and joined to its
    lessons, faces and authors."""
    sort_columns = [key.label(f"sort_{n}") for n, (key, _desc) in enumerate(keys)]
    candidates = matches.add_columns(*sort_columns).cte("candidates").prefix_with("MATERIALIZED")
    order = [
        candidates.c[f"sort_{n}"].desc() if desc else candidates.c[f"sort_{n}"]
        for n, (_key, desc) in enumerate(keys)
    ]
    counted = select(func.count()).select_from(candidates).scalar_subquery()
    shown = (
        RowsSelect(candidates, counted.label("total"))
        .order_by(*order)
        .offset(bindparam("page_offset", type_=BigInteger))  # up to MAX_ID × 200
        .limit(bindparam("page_limit", type_=Integer))
        .cte("shown")
    )
    face = Lesson if working else LessonVersion
    lesson_columns = [getattr(Lesson, name) for name in _LESSON_LISTED]
    face_columns = [getattr(face, name) for name in _FACE_LISTED]
    changed = Lesson.updated_at if working else LessonVersion.published_at
    # Built as ``select()`` would build it: its typing stops at four columns.
    page_rows: RowsSelect[*tuple[Any, ...]] = (
        RowsSelect(
            shown.c.total,
            col(Lesson.id).label("lesson_id"),
            *(column.label(f"lesson_{column.key}") for column in lesson_columns),
            *(column.label(f"face_{column.key}") for column in face_columns),
            literal_column(_BLOCK_KINDS[dialect].format(table=face.__tablename__)).label(
                "face_block_kinds"
            ),
            col(changed).label("changed"),
            col(User.id).label("author_id"),
            col(User.name).label("author_name"),
        )
        .select_from(shown)
        .join(Lesson, col(Lesson.id) == shown.c.lesson_id)
        .join(User, col(User.id) == Lesson.author_id)
        .order_by(
            *(
                shown.c[f"sort_{n}"].desc() if desc else shown.c[f"sort_{n}"]
                for n, (_key, desc) in enumerate(keys)
            )
        )
    )
    if not working:
        page_rows = page_rows.join(LessonVersion, col(LessonVersion.id) == shown.c.face_id)
    return SearchStatements(page_rows, select(func.count()).select_from(matches.subquery()))


async def search_page(
    session: AsyncSession,
    statements: SearchStatements,
    bound: dict[str, Any],
    *,
    page: int,
    per_page: int,
) -> tuple[list[Listed], int]:
    """One page of a search (``statements`` run with ``bound``) and the total: (lesson,
    face, author ``{"id", "name"}``, when the shown face last changed) for each row."""
    params = {**bound, "page_offset": (page - 1) * per_page, "page_limit": per_page}
    rows = (await session.exec(statements.page, params=params)).all()
    if not rows:
        if page == 1:
            return [], 0
        # Past the end: count the matches alone.
        past = await session.exec(statements.count, params=params)
        return [], int(past.one())
    listed = []
    for row in rows:
        values = cast("Row[Any]", row)._mapping  # sqlmodel types rows as plain tuples
        lesson = {name: values[f"lesson_{name}"] for name in _LESSON_LISTED}
        face_values = {name: values[f"face_{name}"] for name in _FACE_LISTED}
        kinds = values["face_block_kinds"]
        face_values["block_kinds"] = sorted(kinds.split("\n")) if kinds else []
        listed.append(
            (
                SimpleNamespace(id=values["lesson_id"], **lesson),
                SimpleNamespace(**face_values),
                {"id": values["author_id"], "name": values["author_name"]},
                values["changed"],
            )
        )
    return listed, int(rows[0][0])

"""Full-text search over lessons: the only module with dialect-specific SQL.

SQLite uses the FTS5 tables ``lessons_fts`` / ``lesson_versions_fts`` and PostgreSQL the
generated ``search_vector`` columns, both made by the migration ``lessons_0001`` over the
title, the summary and ``search_text`` of each face of a lesson. A query is split into
words, every word matches as a prefix (so "дроб" finds "дроби" and "дробей"), and all
words must match. Results whose title matches come first, then by rank.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Subquery,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy import table as sql_table

from lessons.models import Lesson, LessonVersion

MAX_TERMS = 8
MAX_TERM_CHARS = 64
_WORD = re.compile(r"\w+")
# Column weights for SQLite's bm25(): title, summary, search_text.
_BM25_WEIGHTS = (10.0, 4.0, 1.0)
_SIMPLE = literal_column("'simple'::regconfig")

Face = type[Lesson] | type[LessonVersion]
Matches = Subquery | CTE


def search_terms(query: str) -> list[str]:
    """The words of a search query, case-folded; punctuation and operators are dropped."""
    words = _WORD.findall(query.casefold())
    return [word[:MAX_TERM_CHARS] for word in words[:MAX_TERMS]]


def match_subquery(dialect: str, face: Face, terms: list[str], *, ranked: bool = True) -> Matches:
    """Rows of ``face`` matching every term: column ``id`` and, when ``ranked``, ``rank``
    (lower is better) and ``title_hit`` (1 when the title itself matches). Join it on ``id``.

    Leave ``ranked`` off where only the set of matches counts (totals, other sort orders):
    ranking every match is most of the work when a common word matches thousands of rows.
    """
    if not terms:
        raise ValueError("match_subquery needs at least one term")
    if dialect == "sqlite":
        return _sqlite_match(face, terms, ranked=ranked)
    if dialect == "postgresql":
        return _postgres_match(face, terms, ranked=ranked)
    raise NotImplementedError(f"full-text search is not implemented for {dialect}")


def _sqlite_match(face: Face, terms: list[str], *, ranked: bool) -> CTE:
    name = f"{face.__tablename__}_fts"
    fts = sql_table(name)
    fts_column = literal_column(name)
    rowid = literal_column(f"{name}.rowid")
    # Terms hold only word characters, so quoting each as a phrase is enough to keep
    # FTS5's query syntax out; the text still travels as a bound parameter.
    everywhere = " ".join(f'"{term}"*' for term in terms)
    columns: list[ColumnElement[Any]] = [rowid.label("id")]
    if ranked:
        in_title = f"title : ({everywhere})"
        # Evaluated once into a list of rowids (a title-only MATCH costs about a millisecond
        # at 10,000 lessons), then probed per matched row.
        title_rows = (
            select(rowid)
            .select_from(fts)
            .where(fts_column.op("MATCH")(bindparam("fts_title_query", in_title)))
        )
        columns += [
            func.bm25(fts_column, *_BM25_WEIGHTS).label("rank"),
            case((rowid.in_(title_rows.scalar_subquery()), 1), else_=0).label("title_hit"),
        ]
    # MATERIALIZED: run the MATCH once and join the lessons to its rows by rowid. Left to
    # itself SQLite flattens the subquery and walks every lesson of the school, running the
    # MATCH once per lesson (seconds at 10,000 lessons).
    return (
        select(*columns)
        .select_from(fts)
        .where(fts_column.op("MATCH")(bindparam("fts_query", everywhere)))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )


def _postgres_match(face: Face, terms: list[str], *, ranked: bool) -> Subquery:
    vector = literal_column(f"{face.__tablename__}.search_vector")
    query = func.to_tsquery(
        _SIMPLE, bindparam("ts_query", " & ".join(f"'{term}':*" for term in terms))
    )
    columns: list[ColumnElement[Any]] = [face.id.label("id")]  # type: ignore[union-attr]
    if ranked:
        # Both are computed only for the rows the GIN index found.
        title_vector = func.to_tsvector(_SIMPLE, face.title)  # type: ignore[arg-type]
        title_hit: ColumnElement[int] = case((title_vector.op("@@")(query), 1), else_=0)
        columns += [(-func.ts_rank(vector, query)).label("rank"), title_hit.label("title_hit")]
    return select(*columns).where(vector.op("@@")(query)).subquery("matches")

"""Full-text search and filter matching over lessons: the only module with dialect-specific SQL.

The search document of a lesson face is its title, summary, ``search_text`` (subject, tags,
block text) and ``facets`` (its filter keys), with ё written as е on both sides (the query's
words here, the indexed text by the migration ``lessons_0002``), so "ёж" and "еж" find each
other. SQLite keeps it in the contentless FTS5 tables ``lessons_fts`` / ``lesson_versions_fts``;
PostgreSQL in the generated ``search_vector`` column (GIN), with the filter keys as the
generated array ``facet_keys`` (GIN).

A query is split into words, every word matches as a prefix (so "дроб" finds "дроби" and
"дробей"), and all words must match. Results whose title matches come first, then by rank.
Filter keys narrow the rows through the same index. PostgreSQL's array match is exact; SQLite's
matches them as phrases of words, so there each key is also checked exactly on the rows found
(``LessonFace.facets``, read from the narrow index; on PostgreSQL that check would read every
match's out-of-line ``facets``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnClause,
    ColumnElement,
    FromClause,
    Select,
    Text,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col

from lessons.models import Lesson, LessonVersion

MAX_TERMS = 8
MAX_TERM_CHARS = 64
_WORD = re.compile(r"\w+")
_YO = str.maketrans("ёЁ", "еЕ")
# Column weights for SQLite's bm25(): title, summary, search_text, facets.
_BM25_WEIGHTS = (10.0, 4.0, 1.0, 0.0)
_TEXT_COLUMNS = "{title summary search_text}"
_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")

Face = type[Lesson] | type[LessonVersion]


# SQLAlchemy renders no table hints for SQLite; ours are its "INDEXED BY" clauses, which
# only ``prefer_narrow_indexes`` below gives (nothing else in the project hints SQLite).
def _hint_text(self: SQLCompiler, table: FromClause, text: str | None) -> str | None:
    return text


SQLiteCompiler.get_from_hint_text = _hint_text  # type: ignore[method-assign]
_NARROW_INDEXES = {Lesson: "ix_lessons_search", LessonVersion: "ix_lesson_versions_search"}


def fold_yo(text: str) -> str:
    """``text`` with ё written as е, as the search document stores it."""
    return text.translate(_YO)


def search_terms(query: str) -> list[str]:
    """The words of a search query, case-folded, ё as е; punctuation and operators dropped."""
    words = _WORD.findall(fold_yo(query.casefold()))
    return [word[:MAX_TERM_CHARS] for word in words[:MAX_TERMS]]


@dataclass(frozen=True)
class Match:
    """What a search adds to a statement over one face: ``apply`` it, then sort by ``rank``
    (lower is better) after ``title_hit`` (1 when the title itself matches) when ranked."""

    joined: CTE | None  # SQLite: the FTS matches, joined on id
    conditions: tuple[ColumnElement[bool], ...]  # conditions on the face's row
    rank: ColumnElement[Any] | None
    title_hit: ColumnElement[Any] | None

    def apply(self, query: Select, face: Face) -> Select:
        """``query`` (over ``face``) narrowed to the matching rows."""
        if self.joined is not None:
            query = query.join(self.joined, self.joined.c.id == face.id)
        return query.where(*self.conditions)


def match(
    dialect: str,
    face: Face,
    terms: list[str],
    facets: Sequence[str] = (),
    *,
    ranked: bool = True,
) -> Match:
    """Rows of ``face`` matching every term and (at least as words) every filter key of
    ``facets`` (``lessons.models.facet``), ranked only when ``ranked`` and there are terms.

    Leave ``ranked`` off where only the set of matches counts (other sort orders): ranking
    every match is most of the work when a common word matches thousands of rows.
    """
    if not terms and not facets:
        raise ValueError("match needs a term or a filter key")
    ranked = ranked and bool(terms)
    values = match_values(dialect, terms, facets)
    if dialect == "sqlite":
        return _sqlite_match(face, values, bool(terms), len(facets), ranked=ranked)
    return _postgres_match(face, values, bool(terms), bool(facets), ranked=ranked)


def match_values(dialect: str, terms: list[str], facets: Sequence[str]) -> dict[str, Any]:
    """The values of the named parameters of ``match(dialect, face, terms, facets)``.

    The statement a match builds depends only on the dialect, the face, whether there are
    terms, how many filter keys and ``ranked``; a statement built once for one query serves
    another of the same shape when executed with that one's values.
    """
    if dialect == "sqlite":
        # Terms hold only word characters, so quoting each as a phrase is enough to keep
        # FTS5's query syntax out; a filter key is one phrase with its quotes doubled.
        words = " ".join(f'"{term}"*' for term in terms)
        parts = [f"{_TEXT_COLUMNS} : ({words})"] if terms else []
        parts += ['facets : "{}"'.format(fold_yo(key).replace('"', '""')) for key in facets]
        values = {"fts_query": " AND ".join(parts), "fts_title_query": f"title : ({words})"}
        for n, key in enumerate(facets):
            escaped = key.replace("/", "//").replace("%", "/%").replace("_", "/_")
            values[f"facet_like_{n}"] = f"%\n{escaped}\n%"
        return values
    if dialect == "postgresql":
        return {
            "ts_query": " & ".join(f"'{term}':*" for term in terms),
            "ts_title_query": " & ".join(f"'{term}':*A" for term in terms),
            "facet_keys": list(facets),
        }
    raise NotImplementedError(f"full-text search is not implemented for {dialect}")


def _sqlite_match(
    face: Face, values: dict[str, Any], terms: bool, facets: int, *, ranked: bool
) -> Match:
    name = f"{face.__tablename__}_fts"
    fts = sql_table(name)
    fts_column: ColumnClause[Any] = literal_column(name)
    rowid: ColumnClause[Any] = literal_column(f"{name}.rowid")
    columns: list[ColumnElement[Any]] = [rowid.label("id")]
    if ranked:
        # Evaluated once into a list of rowids, then probed per matched row.
        title_rows = (
            select(rowid)
            .select_from(fts)
            .where(fts_column.op("MATCH")(bindparam("fts_title_query", values["fts_title_query"])))
        )
        columns += [
            func.bm25(fts_column, *_BM25_WEIGHTS).label("rank"),
            case((rowid.in_(title_rows.scalar_subquery()), 1), else_=0).label("title_hit"),
        ]
    # MATERIALIZED: run the MATCH once and join the lessons to its rows by rowid. Left to
    # itself SQLite may flatten the subquery and run the MATCH once per lesson.
    matches = (
        select(*columns)
        .select_from(fts)
        .where(fts_column.op("MATCH")(bindparam("fts_query", values["fts_query"])))
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    exact = tuple(
        col(face.facets).like(bindparam(name, values[name]), escape="/")
        for name in (f"facet_like_{n}" for n in range(facets))
    )
    if not ranked:
        return Match(matches, exact, None, None)
    return Match(matches, exact, matches.c.rank, matches.c.title_hit)


def _postgres_match(
    face: Face, values: dict[str, Any], terms: bool, facets: bool, *, ranked: bool
) -> Match:
    table = face.__tablename__
    vector: ColumnClause[Any] = literal_column(f"{table}.search_vector")
    conditions: list[ColumnElement[bool]] = []
    rank = title_hit = None
    if terms:
        query = func.to_tsquery(_SIMPLE, bindparam("ts_query", values["ts_query"]))
        conditions.append(vector.op("@@")(query))
        if ranked:
            # Both only for the rows the GIN index found; weight A is the title.
            in_title: BindParameter[str] = bindparam("ts_title_query", values["ts_title_query"])
            title_query = func.to_tsquery(_SIMPLE, in_title)
            title_hit = case((vector.op("@@")(title_query), 1), else_=0)
            rank = -func.ts_rank(vector, query)
    if facets:
        keys = bindparam("facet_keys", values["facet_keys"], type_=ARRAY(Text))
        conditions.append(literal_column(f"{table}.facet_keys").op("@>")(keys))
    return Match(None, tuple(conditions), rank, title_hit)


def prefer_narrow_indexes(query: Select, dialect: str) -> Select:
    """``query`` reading lessons and versions through their narrow indexes (``lessons_0002``:
    id, school, status, version, dates, filter keys) instead of their wide rows.

    For SQLite, which otherwise looks matched rows up by rowid in the table itself (it
    cannot know the rows hold whole lessons). PostgreSQL's planner chooses on its own.
    """
    if dialect != "sqlite":
        return query
    for face, index in _NARROW_INDEXES.items():
        query = query.with_hint(face, f"INDEXED BY {index}", "sqlite")
    return query

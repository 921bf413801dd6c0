"""lesson search: ё folded to е, filter keys indexed, narrow indexes for the library lists

Revision ID: lessons_0002
Revises: lessons_0001
"""

from __future__ import annotations

from alembic import op

revision = "lessons_0002"
down_revision = "lessons_0001"
branch_labels = None
depends_on = None

# lessons/search.py queries what is made here. The search document of a face is its title,
# summary, ``search_text`` (subject, tags, block text) and ``facets`` (filter keys), with ё
# written as е (both databases fold case themselves). The table names are constants, so
# building the DDL from them is safe.
SEARCHED_TABLES = ("lessons", "lesson_versions")
_FTS_COLUMNS = ("title", "summary", "search_text", "facets")


def _folded(expression: str) -> str:
    """SQL of ``expression`` with ё written as е (lessons.search.fold_yo in SQL)."""
    return f"replace(replace({expression}, 'ё', 'е'), 'Ё', 'Е')"


def _fts_row(prefix: str) -> str:
    return ", ".join(_folded(f"{prefix}{column}") for column in _FTS_COLUMNS)


def _sqlite_fts(table: str) -> list[str]:
    """A contentless FTS5 index of the folded search document, kept in step by triggers and
    filled from the rows already there."""
    fts = f"{table}_fts"
    columns = ", ".join(_FTS_COLUMNS)
    insert_new = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {_fts_row('new.')});"  # noqa: S608
    delete_old = (
        f"INSERT INTO {fts}({fts}, rowid, {columns}) "  # noqa: S608
        f"VALUES ('delete', old.id, {_fts_row('old.')});"
    )
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='', "
        "tokenize='unicode61 remove_diacritics 2')",
        f"INSERT INTO {fts}(rowid, {columns}) SELECT id, {_fts_row('')} FROM {table}",  # noqa: S608
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert_new} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete_old} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {delete_old} {insert_new} END",
    ]


def _sqlite_fts_0001(table: str) -> list[str]:
    """The FTS5 index of lessons_0001 (external content, not folded), for the downgrade."""
    fts = f"{table}_fts"
    columns = "title, summary, search_text"
    new_row = "new.id, new.title, new.summary, new.search_text"
    old_row = "'delete', old.id, old.title, old.summary, old.search_text"
    insert_new = f"INSERT INTO {fts}(rowid, {columns}) VALUES ({new_row});"  # noqa: S608
    delete_old = f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ({old_row});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({columns}, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert_new} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete_old} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {delete_old} {insert_new} END",
    ]


def _sqlite_drop_fts(table: str) -> list[str]:
    fts = f"{table}_fts"
    drops = [f"DROP TRIGGER IF EXISTS {fts}_{event}" for event in ("insert", "delete", "update")]
    return [*drops, f"DROP TABLE IF EXISTS {fts}"]


def _postgres_vector(table: str, *, folded: bool) -> list[str]:
    """The generated tsvector column (title A, summary B, the rest C) and its GIN index."""

    def part(column: str, weight: str) -> str:
        text = f"coalesce({column}, '')"
        text = f"translate({text}, 'ёЁ', 'еЕ')" if folded else text
        return f"setweight(to_tsvector('simple'::regconfig, {text}), '{weight}')"

    parts = " || ".join(
        part(column, weight)
        for column, weight in (("title", "A"), ("summary", "B"), ("search_text", "C"))
    )
    return [
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({parts}) STORED",
        f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)",
    ]


# Narrow indexes that answer a search without reading the wide rows (blocks and text): the
# rows a text or filter match found are checked for school, status and version, and sorted,
# from these alone; only the page shown reads its rows.
_NARROW_INDEXES = {
    "lessons": (
        "ix_lessons_search",
        "id, school_id, status, version, author_id, updated_at, copies, facets",
    ),
    "lesson_versions": (
        "ix_lesson_versions_search",
        "id, lesson_id, number, school_id, published_at, facets",
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHED_TABLES:
        if dialect == "sqlite":
            for statement in [*_sqlite_drop_fts(table), *_sqlite_fts(table)]:
                op.execute(statement)
            name, columns = _NARROW_INDEXES[table]
            op.execute(f"CREATE INDEX {name} ON {table} ({columns})")
        elif dialect == "postgresql":
            # Narrow rows: the wide values (blocks, text) live out of line, the search vector
            # in line, so a search that ranks thousands of matches reads few pages. The
            # table rewrite of the next column added applies this to the rows already there.
            op.execute(f"ALTER TABLE {table} SET (toast_tuple_target = 128)")
            for statement in _postgres_vector(table, folded=True):
                op.execute(statement)
            op.execute(f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE MAIN")
            # Filter keys as an array with a GIN index: a filter is ``facet_keys @> ARRAY[…]``.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN facet_keys text[] GENERATED ALWAYS AS "
                "(string_to_array(btrim(facets, E'\\n'), E'\\n')) STORED"
            )
            op.execute(f"CREATE INDEX ix_{table}_facet_keys ON {table} USING gin (facet_keys)")
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_lessons_school_status ON lessons (school_id, status, id) "
            "INCLUDE (version, author_id)"
        )
        op.execute(
            "CREATE INDEX ix_lesson_versions_listing ON lesson_versions "
            "(school_id, published_at, id) INCLUDE (lesson_id, number)"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_lessons_school_status")
        op.execute("DROP INDEX IF EXISTS ix_lesson_versions_listing")
    for table in SEARCHED_TABLES:
        if dialect == "sqlite":
            op.execute(f"DROP INDEX IF EXISTS {_NARROW_INDEXES[table][0]}")
            for statement in [*_sqlite_drop_fts(table), *_sqlite_fts_0001(table)]:
                op.execute(statement)
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} RESET (toast_tuple_target)")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS facet_keys")
            for statement in _postgres_vector(table, folded=False):
                op.execute(statement)

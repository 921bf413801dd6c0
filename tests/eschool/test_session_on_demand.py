"""A session opened only if a read needs one (eschool.session_on_demand)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import literal
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from eschool.db import create_engine, create_sessionmaker
from eschool.session_on_demand import session_on_demand


async def test_a_session_is_opened_at_its_first_use_and_closed_with_the_block(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'on-demand.db'}")
    made: list[AsyncSession] = []
    maker = create_sessionmaker(engine)

    def counting_maker() -> AsyncSession:
        made.append(maker())
        return made[-1]

    try:
        async with session_on_demand(counting_maker):
            pass
        assert made == []  # never used: never opened
        async with session_on_demand(counting_maker) as session:
            assert (await session.exec(select(literal(1)))).one() == 1
            assert len(made) == 1 and made[0].in_transaction()
        assert not made[0].in_transaction()  # closed on leaving the block
    finally:
        await engine.dispose()

"""Demo data for `make run`: the contract's resident posts. Idempotent (matched by post code)."""

from datetime import time
from uuid import uuid4

from sqlalchemy.dialects.postgresql import insert

from dispatch.config import DispatchSettings
from dispatch.duty.models import DutyPost
from opsdesk_shared.db import create_engine, session_factory, unit_of_work

DEMO_POSTS = [
    ("HOTLINE-7x24", "7×24 服务热线", "7x24", time(8, 0), time(8, 0)),
    ("ONSITE-5x8", "市局驻场运维 (5×8)", "5x8", time(9, 0), time(17, 0)),
    ("DUTY-7x8", "节假日值守 (7×8)", "7x8", time(9, 0), time(17, 0)),
]


async def seed_demo(settings: DispatchSettings) -> None:
    engine = create_engine(settings)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            for code, name, pattern, starts, ends in DEMO_POSTS:
                await session.execute(
                    insert(DutyPost)
                    .values(id=uuid4(), code=code, name=name, pattern=pattern, starts=starts, ends=ends)
                    .on_conflict_do_nothing(index_elements=["code"])
                )
    finally:
        await engine.dispose()

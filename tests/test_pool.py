"""Shutting a pool down never hangs on a connection that was not given back."""

from __future__ import annotations

import asyncio

from db.pool import close_pool, create_pool


async def test_close_does_not_wait_forever_for_a_lost_connection(database_url: str) -> None:
    pool = await create_pool(database_url, max_size=2)
    await pool.acquire()  # never released, as after an ill-timed cancellation
    await asyncio.wait_for(close_pool(pool, within=0.5), 5)
    assert pool.is_closing()

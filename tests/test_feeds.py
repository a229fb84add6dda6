"""Fan-out writes home-feed rows only for members of this node."""

from __future__ import annotations

import asyncpg

from content.feeds import fan_out
from content.statuses import get_status
from tests.conftest import MakeMember


async def test_a_remote_authors_status_reaches_local_followers_only(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    # Given a remote author followed by one local member
    reader = await make_member("reader")
    remote_id = await conn.fetchval(
        """INSERT INTO accounts (username, domain, uri, public_key_pem)
           VALUES ('far', 'b.test', 'http://b.test/users/far', 'PEM') RETURNING id"""
    )
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        reader.account.id,
        remote_id,
    )
    status_id = await conn.fetchval(
        """INSERT INTO statuses (account_id, local, visibility, text, content, uri)
           VALUES ($1, false, 'public', 'hi', '<p>hi</p>', 'http://b.test/s/1') RETURNING id""",
        remote_id,
    )
    status = await get_status(conn, status_id)
    assert status is not None

    # When it is fanned out
    await fan_out(conn, status, [])

    # Then only the local follower has it in a home feed
    rows = await conn.fetch("SELECT account_id FROM home_feed WHERE status_id = $1", status_id)
    assert [row["account_id"] for row in rows] == [reader.account.id]

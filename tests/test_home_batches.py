"""The home feed is read in bounded batches; statuses hidden from the reader (here: a muted
author's) never leave the page short while older visible ones exist."""

from __future__ import annotations

import asyncpg

from content.access import load_viewer
from content.timelines import home_timeline
from db.keyset import Window
from tests.conftest import MakeMember


async def _posts(conn: asyncpg.Connection, author_id: int, reader_id: int, count: int) -> list[int]:
    ids: list[int] = [
        row["id"]
        for row in await conn.fetch(
            """INSERT INTO statuses (account_id, visibility, text, content)
               SELECT $1, 'public', 'post ' || n, '<p>post ' || n || '</p>'
               FROM generate_series(1, $2) AS n RETURNING id""",
            author_id,
            count,
        )
    ]
    await conn.execute(
        "INSERT INTO home_feed (account_id, status_id) SELECT $1, unnest($2::bigint[])",
        reader_id,
        ids,
    )
    return sorted(ids)


async def test_hidden_statuses_do_not_shorten_the_page(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    # Given a reader whose newest 450 feed entries are by an author she has muted
    reader = await make_member("reader")
    carol = await make_member("carol")
    noisy = await make_member("noisy")
    older = await _posts(conn, carol.account.id, reader.account.id, 30)
    await _posts(conn, noisy.account.id, reader.account.id, 450)
    await conn.execute(
        "INSERT INTO mutes (account_id, target_account_id) VALUES ($1, $2)",
        reader.account.id,
        noisy.account.id,
    )

    # When she reads her home timeline
    viewer = await load_viewer(conn, reader.account.id)
    page = await home_timeline(conn, viewer, Window(limit=20))

    # Then she gets the twenty newest visible statuses, newest first
    assert [v.status.id for v in page] == older[::-1][:20]

    # And paging with min_id reads just above it, still newest first
    above = await home_timeline(
        conn, await load_viewer(conn, reader.account.id), Window(min_id=older[4], limit=3)
    )
    assert [v.status.id for v in above] == [older[7], older[6], older[5]]
    # And max_id continues below the page
    below = await home_timeline(
        conn, await load_viewer(conn, reader.account.id), Window(max_id=older[10], limit=40)
    )
    assert [v.status.id for v in below] == older[:10][::-1]

"""Favourites, boosts, blocks, account deletions, reports and unsupported activities from
another node, through the real inbox and worker (fixtures from tests/test_inbox_processing)."""

from __future__ import annotations

import asyncpg

from actors.accounts import Member
from actors.site import Site
from content.compose import Draft
from outbox.posting import do_post
from tests.conftest import MakeMember
from tests.inbox_helpers import RemoteActor, inbound_rows
from tests.test_inbox import PUBLIC, note_create
from tests.test_inbox_processing import (
    ALICE,
    Send,
    activity,
    alice,
    followed_by_alice,
    mallory,
    send,
    web_config,
)

__all__ = ["alice", "mallory", "send", "web_config"]  # fixtures shared with the posts tests


# -- interactions ----------------------------------------------------------------------------


async def test_like_and_undo_of_a_local_status(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    status = await do_post(conn, site, alice.account.id, Draft(text="Like me"))
    like = activity("Like", mallory.uri, site.status_uri("alice", status.id))
    assert await send(like) == "done"
    assert await send({**like, "id": like["id"] + "/again"}) == "done"  # a repeat counts once
    assert await conn.fetchval("SELECT favourites_count FROM statuses") == 1
    assert await conn.fetchval("SELECT type FROM notifications") == "favourite"
    # Mastodon's compact Undo names only the Like's id
    assert await send(activity("Undo", mallory.uri, like["id"], number=2)) == "done"
    assert await conn.fetchval("SELECT favourites_count FROM statuses") == 0
    assert await conn.fetchval("SELECT count(*) FROM notifications") == 0


async def test_a_like_of_an_internal_status_is_ignored(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    status = await do_post(conn, site, alice.account.id, Draft(text="ours", visibility="local"))
    outcome = await send(activity("Like", mallory.uri, site.status_uri("alice", status.id)))
    assert outcome.startswith("ignored")
    assert await conn.fetchval("SELECT count(*) FROM favourites") == 0


async def test_announce_and_undo_of_a_local_status(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    status = await do_post(conn, site, alice.account.id, Draft(text="Boost me"))
    announce = activity("Announce", mallory.uri, site.status_uri("alice", status.id), to=[PUBLIC])
    assert await send(announce) == "done"
    boost = await conn.fetchrow(
        "SELECT account_id, reblog_of_id, uri FROM statuses WHERE NOT local"
    )
    assert (boost["account_id"], boost["reblog_of_id"], boost["uri"]) == (
        mallory.id,
        status.id,
        announce["id"],
    )
    assert await conn.fetchval("SELECT reblogs_count FROM statuses WHERE id = $1", status.id) == 1
    assert await conn.fetchval("SELECT type FROM notifications") == "reblog"
    assert await send(activity("Undo", mallory.uri, announce, number=2)) == "done"
    assert await conn.fetchval("SELECT reblogs_count FROM statuses WHERE id = $1", status.id) == 0
    assert await conn.fetchval("SELECT count(*) FROM statuses WHERE deleted_at IS NULL") == 1


async def test_a_block_ends_follows_both_ways(
    send: Send, conn: asyncpg.Connection, alice: Member, mallory: RemoteActor
) -> None:
    await followed_by_alice(conn, alice, mallory)
    block = activity("Block", mallory.uri, ALICE)
    assert await send(block) == "done"
    assert await conn.fetchval("SELECT count(*) FROM follows") == 0
    assert await conn.fetchval("SELECT count(*) FROM blocks WHERE account_id = $1", mallory.id) == 1
    assert await send(activity("Undo", mallory.uri, block, number=2)) == "done"
    assert await conn.fetchval("SELECT count(*) FROM blocks") == 0


async def test_an_account_deletion_removes_everything_of_theirs(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    await followed_by_alice(conn, alice, mallory)
    assert await send(note_create(mallory.uri)) == "done"
    mine = await do_post(conn, site, alice.account.id, Draft(text="liked"))
    await send(activity("Like", mallory.uri, site.status_uri("alice", mine.id)))
    delete = {**activity("Delete", mallory.uri, mallory.uri), "id": f"{mallory.uri}#delete"}
    assert await send(delete) == "done"
    assert await conn.fetchval(
        "SELECT suspended_at IS NOT NULL FROM accounts WHERE id = $1", mallory.id
    )
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM statuses WHERE account_id = $1 AND deleted_at IS NULL", mallory.id
        )
        == 0
    )
    assert await conn.fetchval("SELECT count(*) FROM follows") == 0
    assert await conn.fetchval("SELECT favourites_count FROM statuses WHERE id = $1", mine.id) == 0


async def test_a_flag_becomes_a_report_for_the_moderators(
    send: Send, conn: asyncpg.Connection, site: Site, make_member: MakeMember, alice: Member
) -> None:
    moderator = await make_member("mod", role="moderator")
    status = await do_post(conn, site, alice.account.id, Draft(text="reported"))
    flag = activity(
        "Flag",
        "https://remote.test/users/mallory",
        [ALICE, site.status_uri("alice", status.id), "https://remote.test/users/someone"],
        content="Please look at this",
    )
    assert await send(flag) == "done"
    assert await send(flag) == "done"  # a redelivery is the same report
    report = await conn.fetchrow("SELECT target_account_id, status_ids, comment FROM reports")
    assert (report["target_account_id"], report["status_ids"], report["comment"]) == (
        alice.account.id,
        [status.id],
        "Please look at this",
    )
    assert (
        await conn.fetchval(
            "SELECT type FROM notifications WHERE account_id = $1", moderator.account.id
        )
        == "admin.report"
    )


async def test_unsupported_activities_are_kept_as_ignored(
    send: Send, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    outcome = await send(
        activity("Dislike", mallory.uri, "https://rukun.test/users/alice/statuses/1")
    )
    assert outcome == "ignored: Dislike activities are not supported"
    assert [row["state"] for row in await inbound_rows(conn)] == ["ignored"]

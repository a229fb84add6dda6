"""Relationship commands and queries against a real database: what each command writes
(relationship, counters, notifications, home feeds), and the edges the API tests do not
reach — remote accounts, expiry, concurrency, visibility in merges and profile timelines."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from actors.account_lookup import lookup_account, search_accounts
from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from actors.profile_edits import ProfileEdit, ProfileError, apply_profile_edit, check_profile_edit
from actors.profiles import load_account
from actors.relationships import (
    NotAllowed,
    NoteError,
    do_set_note,
    list_page,
    load_relationship,
)
from actors.site import Site
from content.access import load_viewer
from content.account_statuses import ProfileFilter, merge_into_home_feed, profile_status_ids
from content.compose import Draft
from db.keyset import Window
from outbox.posting import do_post
from outbox.relationships import (
    NoFollowRequest,
    do_authorize_follow_request,
    do_block,
    do_follow,
    do_mute,
    do_reject_follow_request,
    do_unfollow,
)
from tests.conftest import MakeMember


@dataclass
class Counts:
    followers: int
    following: int


async def counts(conn: asyncpg.Connection, account: Account) -> Counts:
    view = await load_account(conn, account.id)
    assert view is not None
    return Counts(view.followers_count, view.following_count)


async def notified(conn: asyncpg.Connection, account: Account) -> list[tuple[str, int]]:
    rows = await conn.fetch(
        "SELECT type, from_account_id FROM notifications WHERE account_id = $1 ORDER BY id",
        account.id,
    )
    return [(row["type"], row["from_account_id"]) for row in rows]


async def feed(conn: asyncpg.Connection, account: Account) -> set[int]:
    rows = await conn.fetch("SELECT status_id FROM home_feed WHERE account_id = $1", account.id)
    return {row["status_id"] for row in rows}


async def remote_account(conn: asyncpg.Connection, username: str, domain: str) -> Account:
    row = await conn.fetchrow(
        f"""INSERT INTO accounts (username, domain, public_key_pem, uri, url, inbox_url)
            VALUES ($1, $2, 'PEM', $3, $3, $3 || '/inbox') RETURNING {ACCOUNT_COLUMNS}""",
        username,
        domain,
        f"https://{domain}/users/{username}",
    )
    return account_from_row(row)


async def write(
    conn: asyncpg.Connection, site: Site, author: Account, text: str, **kw: object
) -> int:
    status = await do_post(conn, site, author.id, Draft(text=text, **kw))  # type: ignore[arg-type]
    return status.id


async def boost(conn: asyncpg.Connection, booster: Account, status_id: int) -> int:
    boost_id: int = await conn.fetchval(
        """INSERT INTO statuses (account_id, visibility, reblog_of_id) VALUES ($1, 'public', $2)
           RETURNING id""",
        booster.id,
        status_id,
    )
    return boost_id


async def test_follow_merges_visible_statuses_only(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    carol = (await make_member("carol")).account
    public = await write(conn, site, bob, "public")
    private = await write(conn, site, bob, "followers", visibility="private")
    direct = await write(conn, site, bob, "@carol secret", visibility="direct")
    carols = await write(conn, site, carol, "carol's")
    boosted = await boost(conn, bob, carols)

    await do_follow(conn, site, alice, bob, reblogs=False)

    merged = await feed(conn, alice)
    assert {public, private} <= merged
    assert direct not in merged and boosted not in merged  # no DMs; boosts hidden by choice
    assert await counts(conn, alice) == Counts(0, 1)
    assert await counts(conn, bob) == Counts(1, 0)
    assert await notified(conn, bob) == [("follow", alice.id)]


async def test_merge_is_bounded(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    written = [await write(conn, site, bob, f"post {i}") for i in range(5)]
    await merge_into_home_feed(conn, await load_viewer(conn, alice.id), bob.id, limit=3)
    assert await feed(conn, alice) == set(written[-3:])


async def test_concurrent_follows_count_once(
    pool: asyncpg.Pool, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account

    async def follow() -> None:
        async with pool.acquire() as conn:
            await do_follow(conn, site, alice, bob)

    await asyncio.gather(*(follow() for _ in range(4)))
    async with pool.acquire() as conn:
        assert await counts(conn, bob) == Counts(1, 0)
        assert await counts(conn, alice) == Counts(0, 1)


async def test_following_a_remote_account_waits_for_accept(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    zed = await remote_account(conn, "zed", "partner.example")

    await do_follow(conn, site, alice, zed, notify_posts=True, languages=["en"])

    relationship = await load_relationship(conn, alice.id, zed.id)
    assert relationship.requested and not relationship.following
    assert relationship.notifying and relationship.languages == ["en"]
    assert await counts(conn, alice) == Counts(0, 0)
    assert await notified(conn, zed) == []  # remote accounts get no notification rows
    # Their Accept arrives later; accepting on their behalf turns it into a follow.
    await do_authorize_follow_request(conn, site, zed, alice)
    assert (await load_relationship(conn, alice.id, zed.id)).following
    assert await counts(conn, alice) == Counts(0, 1)


async def test_refused_follows(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    with pytest.raises(NotAllowed):
        await do_follow(conn, site, alice, alice)
    await conn.execute(
        "UPDATE accounts SET moved_to_account_id = $1 WHERE id = $2", alice.id, bob.id
    )
    moved = (await load_account(conn, bob.id)).account  # type: ignore[union-attr]
    with pytest.raises(NotAllowed):
        await do_follow(conn, site, alice, moved)
    with pytest.raises(NoFollowRequest):
        await do_authorize_follow_request(conn, site, alice, bob)
    with pytest.raises(NoFollowRequest):
        await do_reject_follow_request(conn, site, alice, bob)
    with pytest.raises(NotAllowed):
        await do_block(conn, site, alice, alice)
    with pytest.raises(NotAllowed):
        await do_mute(conn, alice, alice)


async def test_block_ends_requests_both_ways_and_clears_notifications(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    await conn.execute("UPDATE accounts SET locked = true WHERE id = $1", alice.id)
    locked_alice = (await load_account(conn, alice.id)).account  # type: ignore[union-attr]
    await do_follow(conn, site, bob, locked_alice)
    await do_follow(conn, site, alice, bob)
    await write(conn, site, bob, "@alice hello")
    assert {kind for kind, _ in await notified(conn, alice)} == {"follow_request", "mention"}
    alices = await write(conn, site, alice, "mine")
    assert alices not in await feed(conn, bob)  # bob only asked

    await do_block(conn, site, locked_alice, bob)

    relationship = await load_relationship(conn, alice.id, bob.id)
    assert relationship.blocking and not relationship.following and not relationship.requested_by
    assert await notified(conn, alice) == []
    assert await notified(conn, bob) == []  # alice's follow notification went with the follow
    assert await counts(conn, bob) == Counts(0, 0)
    assert await list_page(conn, "follow_requests", alice.id, Window(limit=40)) == []


async def test_unfollow_withdraws_a_request(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    await conn.execute("UPDATE accounts SET locked = true WHERE id = $1", bob.id)
    locked_bob = (await load_account(conn, bob.id)).account  # type: ignore[union-attr]
    await do_follow(conn, site, alice, locked_bob)
    await do_unfollow(conn, site, alice, locked_bob)
    await do_unfollow(conn, site, alice, locked_bob)  # twice is harmless
    assert not (await load_relationship(conn, alice.id, bob.id)).requested
    assert await notified(conn, bob) == []


async def test_expired_mutes_no_longer_count(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    await do_mute(conn, alice, bob, duration_seconds=60)
    assert (await load_relationship(conn, alice.id, bob.id)).muting
    await conn.execute(
        "UPDATE mutes SET expires_at = $1 WHERE account_id = $2",
        datetime.now(UTC) - timedelta(seconds=1),
        alice.id,
    )
    assert not (await load_relationship(conn, alice.id, bob.id)).muting
    assert await list_page(conn, "mutes", alice.id, Window(limit=40)) == []


async def test_list_pages_by_relationship_id(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    bob = (await make_member("bob")).account
    fans = [(await make_member(f"fan{i}")).account for i in range(4)]
    for fan in fans:
        await do_follow(conn, site, fan, bob)
    everyone = await list_page(conn, "followers", bob.id, Window(limit=40))
    assert [e.account_id for e in everyone] == [f.id for f in reversed(fans)]
    ids = [e.id for e in everyone]
    older = await list_page(conn, "followers", bob.id, Window(max_id=ids[1], limit=40))
    assert [e.id for e in older] == ids[2:]
    newer = await list_page(conn, "followers", bob.id, Window(min_id=ids[3], limit=2))
    assert [e.id for e in newer] == [ids[1], ids[2]]
    since = await list_page(conn, "followers", bob.id, Window(since_id=ids[3], limit=2))
    assert [e.id for e in since] == [ids[0], ids[1]]


async def test_profile_timeline_hides_boosts_of_blocked_and_invisible(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    carol = (await make_member("carol")).account
    dave = (await make_member("dave")).account
    carols = await write(conn, site, carol, "carol's")
    daves_private = await write(conn, site, dave, "dave's", visibility="private")
    boost_of_carol = await boost(conn, bob, carols)
    boost_of_private = await boost(conn, bob, daves_private)
    own = await write(conn, site, bob, "own")

    async def ids(options: ProfileFilter | None = None) -> list[int]:
        window = Window(limit=20)
        viewer = await load_viewer(conn, alice.id)
        return await profile_status_ids(conn, viewer, bob.id, window, options or ProfileFilter())

    assert await ids() == [own, boost_of_carol]  # alice may not see dave's private post
    await do_block(conn, site, alice, carol)
    assert await ids() == [own]
    assert await ids(ProfileFilter(exclude_reblogs=True)) == [own]
    assert boost_of_private not in await profile_status_ids(
        conn, await load_viewer(conn, bob.id), bob.id, Window(limit=20), ProfileFilter()
    )


async def test_search_and_lookup_edges(conn: asyncpg.Connection, make_member: MakeMember) -> None:
    alice = (await make_member("alice")).account
    await make_member("under_score")
    await make_member("underdog")
    zed = await remote_account(conn, "zed", "partner.example")
    site_domain = "rukun.test"

    async def search(query: str) -> list[str]:
        found = await search_accounts(conn, alice.id, query, site_domain, limit=10)
        return [view.account.username for view in found]

    # `_` is a letter here, not LIKE's wildcard.
    assert await search("under_") == ["under_score"]
    assert await search("zed@partner.example") == ["zed"]
    assert await search("zed") == ["zed"]
    found = await lookup_account(conn, "@zed@Partner.Example", site_domain)
    assert found is not None and found.account.id == zed.id
    assert await lookup_account(conn, "instance.actor", site_domain) is None
    await conn.execute("UPDATE accounts SET suspended_at = now() WHERE id = $1", zed.id)
    assert await search("zed") == []
    assert await lookup_account(conn, "zed@partner.example", site_domain) is None


async def test_notes(conn: asyncpg.Connection, make_member: MakeMember) -> None:
    alice = (await make_member("alice")).account
    bob = (await make_member("bob")).account
    await do_set_note(conn, alice.id, bob.id, "first")
    await do_set_note(conn, alice.id, bob.id, "second")
    assert (await load_relationship(conn, alice.id, bob.id)).note == "second"
    assert (await load_relationship(conn, bob.id, alice.id)).note == ""  # notes are private
    with pytest.raises(NoteError):
        await do_set_note(conn, alice.id, bob.id, "x" * 2001)
    await do_set_note(conn, alice.id, bob.id, "  ")
    assert await conn.fetchval("SELECT count(*) FROM account_notes") == 0


async def test_profile_edits(conn: asyncpg.Connection, make_member: MakeMember) -> None:
    member = await make_member("alice")
    checked = check_profile_edit(
        ProfileEdit(fields=[(" a ", " 1 "), ("", ""), ("b", "")], default_language="EN")
    )
    assert checked.fields == [("a", "1"), ("b", "")] and checked.default_language == "en"
    with pytest.raises(ProfileError):
        check_profile_edit(ProfileEdit(fields=[(str(i), "v") for i in range(5)]))
    with pytest.raises(ProfileError):
        check_profile_edit(ProfileEdit(job_title="x" * 101))

    assert not await apply_profile_edit(conn, member.user_id, ProfileEdit(locked=True))
    assert await apply_profile_edit(conn, member.user_id, ProfileEdit(locked=False))
    assert not await apply_profile_edit(conn, member.user_id, ProfileEdit(locked=False))
    await apply_profile_edit(conn, member.user_id, check_profile_edit(checked))
    await apply_profile_edit(conn, member.user_id, ProfileEdit(default_language=""))
    row = await conn.fetchrow(
        "SELECT a.fields, u.default_language FROM accounts a JOIN users u ON u.account_id = a.id"
        " WHERE u.id = $1",
        member.user_id,
    )
    assert row["fields"] == [{"name": "a", "value": "1"}, {"name": "b", "value": ""}]
    assert row["default_language"] is None

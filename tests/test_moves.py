"""Account moves on one node (`outbox.moves`): aliases in the actor document, a move between
two members here (followers, blocks and mutes carried over, the `moved` notice on the
profile page, in the API and in the actor document), the checks that refuse a move, and
cancelling a redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.accounts import Member, get_member
from actors.moves import MoveError, moved_to_uri
from actors.profiles import load_account
from actors.site import Site
from outbox.actor_document import actor_document
from outbox.moves import (
    ALREADY_MOVED,
    MOVE_TO_SELF,
    NOT_AN_ALIAS,
    do_cancel_move,
    do_follow_move,
    do_move_account,
    do_set_aliases,
)
from outbox.relationships import do_block, do_follow, do_mute
from tests.conftest import MakeMember
from tests.test_signin import signed_in, start_browser
from web.config import WebConfig
from web.mastodon.entities.accounts import render_account


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def _fresh(conn: asyncpg.Connection, member: Member) -> Member:
    found = await get_member(conn, member.username)
    assert found is not None
    return found


async def _following(conn: asyncpg.Connection, account_id: int) -> list[str]:
    rows = await conn.fetch(
        """SELECT a.username FROM follows f JOIN accounts a ON a.id = f.target_account_id
           WHERE f.account_id = $1 ORDER BY a.username""",
        account_id,
    )
    return [row["username"] for row in rows]


async def test_aliases_are_published_in_the_actor_document(
    conn: asyncpg.Connection, site: Site, make_member: MakeMember
) -> None:
    ann = await make_member("ann")
    old = "https://old.example/users/ann"
    account = await do_set_aliases(conn, site, ann, [old, site.actor_url("bob"), old])
    assert account.also_known_as == (old, site.actor_url("bob"))
    document = actor_document(account, site)
    assert document["alsoKnownAs"] == [old, "https://rukun.test/users/bob"]
    assert "movedTo" not in document
    with pytest.raises(MoveError, match="itself"):
        await do_set_aliases(conn, site, ann, [site.actor_url("ann")])
    with pytest.raises(MoveError, match="at most"):
        await do_set_aliases(conn, site, ann, [f"https://x.example/users/{n}" for n in range(11)])
    assert (await do_set_aliases(conn, site, ann, [])).also_known_as == ()
    assert "alsoKnownAs" not in actor_document((await _fresh(conn, ann)).account, site)


async def test_a_move_between_two_members_here(
    conn: asyncpg.Connection,
    site: Site,
    make_member: MakeMember,
    browser: TestClient,
) -> None:
    # Given alice, followed by fay (notified of each post, no boosts), blocked by bo and
    # muted by mo; and alice2, who lists alice as an alias
    alice, alice2 = await make_member("alice"), await make_member("alice2")
    fay, bo, mo = await make_member("fay"), await make_member("bo"), await make_member("mo")
    await do_follow(conn, site, fay.account, alice.account, reblogs=False, notify_posts=True)
    await do_block(conn, site, bo.account, alice.account)
    await do_mute(conn, mo.account, alice.account, notifications=True)
    await do_set_aliases(conn, site, alice2, [site.actor_url("alice")])
    target = (await _fresh(conn, alice2)).account

    # When alice moves to alice2
    moved = await do_move_account(conn, site, alice, target)

    # Then fay follows alice2, with the same options, and was told
    assert moved.moved_to_account_id == alice2.account.id
    assert await _following(conn, fay.account.id) == ["alice2"]
    options = await conn.fetchrow(
        "SELECT show_reblogs, notify FROM follows WHERE account_id = $1", fay.account.id
    )
    assert (options["show_reblogs"], options["notify"]) == (False, True)
    kinds = await conn.fetch(
        "SELECT type, from_account_id FROM notifications WHERE account_id = $1 ORDER BY id",
        fay.account.id,
    )
    assert [(k["type"], k["from_account_id"]) for k in kinds] == [("move", alice.account.id)]
    # bo blocks and mo mutes alice2 too (mo's mute still hides notifications)
    assert await conn.fetchval(
        "SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2",
        bo.account.id,
        alice2.account.id,
    )
    assert await conn.fetchval(
        "SELECT hide_notifications FROM mutes WHERE account_id = $1 AND target_account_id = $2",
        mo.account.id,
        alice2.account.id,
    )
    # The API shows alice as moved, the actor document carries movedTo
    view = await load_account(conn, alice.account.id)
    assert view is not None
    assert render_account(view, site)["moved"]["acct"] == "alice2"
    assert actor_document(moved, site, moved_to=await moved_to_uri(conn, site, moved))[
        "movedTo"
    ] == site.actor_url("alice2")
    # and so does her profile page, with a link to the new account
    await signed_in(browser, "fay")
    page = await (await browser.get("/@alice")).text()
    assert "has moved to" in page and '<a href="/@alice2">' in page
    assert "has moved to" not in await (await browser.get("/@alice2")).text()

    # A second pass finds nothing left to move
    assert await do_follow_move(conn, site, moved, target) == 0


async def test_refused_moves_change_nothing(
    conn: asyncpg.Connection, site: Site, make_member: MakeMember
) -> None:
    alice, alice2, other = (
        await make_member("alice"),
        await make_member("alice2"),
        await make_member("other"),
    )
    with pytest.raises(MoveError, match=NOT_AN_ALIAS):
        await do_move_account(conn, site, alice, other.account)
    with pytest.raises(MoveError, match=MOVE_TO_SELF):
        await do_move_account(conn, site, alice, alice.account)
    assert (await _fresh(conn, alice)).account.moved_to_account_id is None

    await do_set_aliases(conn, site, alice2, [site.actor_url("alice")])
    target = (await _fresh(conn, alice2)).account
    await do_move_account(conn, site, alice, target)
    with pytest.raises(MoveError, match=ALREADY_MOVED):
        await do_move_account(conn, site, alice, target)

    # Cancelling the redirect keeps the cooldown; a cooldown of 0 days, or its end, lifts it
    cancelled = await do_cancel_move(conn, site, alice)
    assert cancelled.moved_to_account_id is None and cancelled.moved_at is not None
    with pytest.raises(MoveError, match="cooldown"):
        await do_move_account(conn, site, alice, target)
    await do_move_account(conn, site, alice, target, cooldown_days=0)
    await do_cancel_move(conn, site, alice)
    await conn.execute(
        "UPDATE accounts SET moved_at = moved_at - $2::interval WHERE id = $1",
        alice.account.id,
        timedelta(days=31),
    )
    assert (await do_move_account(conn, site, alice, target)).moved_to_account_id == target.id

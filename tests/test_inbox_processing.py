"""What each kind of activity does once accepted: follows and their answers, posts and their
edits and deletions, favourites, boosts, blocks, account deletions and reports, each
idempotent. Deliveries go through the real inbox and the real worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.accounts import Member
from actors.partners import do_allow_domain
from actors.profiles import load_account
from actors.site import Site
from content.compose import Draft
from outbox.posting import do_post
from outbox.relationships import do_follow
from tests.conftest import MakeMember
from tests.inbox_helpers import (
    RemoteActor,
    deliver,
    drain,
    offline_config,
    remote_actor,
)
from tests.test_inbox import AS, PUBLIC, note_create
from web.config import WebConfig

Send = Callable[[dict[str, Any]], Awaitable[str]]


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    return WebConfig(site=site, max_body_bytes=64 * 1024, client=offline_config(["remote.test"]))


@pytest.fixture
async def mallory(conn: asyncpg.Connection) -> RemoteActor:
    await do_allow_domain(conn, "remote.test")
    return await remote_actor(conn, "https://remote.test/users/mallory")


@pytest.fixture
async def alice(make_member: MakeMember) -> Member:
    return await make_member("alice")


@pytest.fixture
def send(
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    mallory: RemoteActor,
) -> Send:
    """Deliver an activity from Mallory, process it, return the state it ended in."""

    async def run(activity: dict[str, Any]) -> str:
        status, body = await deliver(client, mallory, activity)
        assert status == 202, body
        await drain(pool, web_config)
        row = await conn.fetchrow(
            "SELECT state, last_error FROM inbound_activities WHERE activity_id = $1",
            activity["id"],
        )
        return f"{row['state']}: {row['last_error']}" if row["last_error"] else row["state"]

    return run


def activity(kind: str, actor: str, obj: Any, number: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{actor}#{kind.lower()}s/{number}",
        "type": kind,
        "actor": actor,
        "object": obj,
        **extra,
    }


async def stats(conn: asyncpg.Connection, account_id: int) -> tuple[int, int, int]:
    view = await load_account(conn, account_id)
    assert view is not None
    return view.followers_count, view.following_count, view.statuses_count


ALICE = "https://rukun.test/users/alice"


# -- follows ---------------------------------------------------------------------------------


async def test_a_follow_of_an_open_account_is_accepted_at_once(
    send: Send, conn: asyncpg.Connection, alice: Member, mallory: RemoteActor
) -> None:
    follow = activity("Follow", mallory.uri, ALICE)
    assert await send(follow) == "done"
    assert (
        await conn.fetchval(
            "SELECT uri FROM follows WHERE account_id = $1 AND target_account_id = $2",
            mallory.id,
            alice.account.id,
        )
        == follow["id"]
    )
    assert (await stats(conn, alice.account.id))[0] == 1
    assert (
        await conn.fetchval(
            "SELECT type FROM notifications WHERE account_id = $1", alice.account.id
        )
        == "follow"
    )
    accept = await conn.fetchrow("SELECT inbox_url, payload FROM deliveries")
    assert accept["inbox_url"] == "https://remote.test/inbox"
    assert accept["payload"]["type"] == "Accept"
    assert accept["payload"]["object"]["id"] == follow["id"]

    # Undo(Follow) ends it, counters and notification with it
    assert await send(activity("Undo", mallory.uri, follow)) == "done"
    assert await conn.fetchval("SELECT count(*) FROM follows") == 0
    assert (await stats(conn, alice.account.id))[0] == 0
    assert await conn.fetchval("SELECT count(*) FROM notifications") == 0


async def test_a_follow_of_a_locked_account_becomes_a_request(
    send: Send, conn: asyncpg.Connection, make_member: MakeMember, mallory: RemoteActor
) -> None:
    bea = await make_member("bea")
    await conn.execute("UPDATE accounts SET locked = true WHERE id = $1", bea.account.id)
    assert await send(activity("Follow", mallory.uri, "https://rukun.test/users/bea")) == "done"
    assert await conn.fetchval("SELECT count(*) FROM follows") == 0
    assert (
        await conn.fetchval(
            "SELECT account_id FROM follow_requests WHERE target_account_id = $1", bea.account.id
        )
        == mallory.id
    )
    assert await conn.fetchval("SELECT type FROM notifications") == "follow_request"
    assert await conn.fetchval("SELECT count(*) FROM deliveries") == 0


async def test_a_follow_of_nobody_here_is_ignored(send: Send, mallory: RemoteActor) -> None:
    outcome = await send(activity("Follow", mallory.uri, "https://rukun.test/users/nobody"))
    assert outcome == "ignored: the object is not an account on this node"


async def test_an_accept_turns_our_request_into_a_follow(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    target = (await load_account(conn, mallory.id)).account  # type: ignore[union-attr]
    await do_follow(conn, site, alice.account, target)
    follow_id = await conn.fetchval("SELECT uri FROM follow_requests")
    assert follow_id and follow_id.startswith(ALICE + "#follows/")

    # Mitra answers with the Follow's id alone
    assert await send(activity("Accept", mallory.uri, follow_id)) == "done"
    assert await conn.fetchval("SELECT count(*) FROM follow_requests") == 0
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM follows WHERE account_id = $1 AND target_account_id = $2",
            alice.account.id,
            mallory.id,
        )
        == 1
    )
    assert (await stats(conn, alice.account.id))[1] == 1

    # A Reject afterwards removes alice from Mallory's followers
    follow = {"type": "Follow", "id": follow_id, "actor": ALICE, "object": mallory.uri}
    assert await send(activity("Reject", mallory.uri, follow)) == "done"
    assert await conn.fetchval("SELECT count(*) FROM follows") == 0
    assert (await stats(conn, alice.account.id))[1] == 0


# -- posts -----------------------------------------------------------------------------------


async def followed_by_alice(conn: asyncpg.Connection, alice: Member, mallory: RemoteActor) -> None:
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        alice.account.id,
        mallory.id,
    )


@pytest.mark.parametrize(
    ("to", "cc", "visibility"),
    [
        ([PUBLIC], [], "public"),
        (["followers"], [PUBLIC], "unlisted"),
        (["followers"], [], "private"),
        ([ALICE], [], "direct"),
    ],
)
async def test_visibility_follows_the_addressing(
    *,
    send: Send,
    conn: asyncpg.Connection,
    alice: Member,
    mallory: RemoteActor,
    to: list[str],
    cc: list[str],
    visibility: str,
) -> None:
    await followed_by_alice(conn, alice, mallory)
    followers = f"{mallory.uri}/followers"
    to = [followers if a == "followers" else a for a in to]
    cc = [followers if a == "followers" else a for a in cc]
    create = note_create(mallory.uri, to=to, cc=cc)
    create["to"], create["cc"] = to, cc
    if visibility == "direct":
        create["object"]["tag"] = [{"type": "Mention", "href": ALICE}]
    assert await send(create) == "done"
    assert await conn.fetchval("SELECT visibility FROM statuses") == visibility
    in_feed = await conn.fetchval(
        "SELECT count(*) FROM home_feed WHERE account_id = $1", alice.account.id
    )
    assert in_feed == 1


async def test_a_post_that_concerns_nobody_here_is_not_kept(
    send: Send, conn: asyncpg.Connection, mallory: RemoteActor
) -> None:
    outcome = await send(note_create(mallory.uri))
    assert outcome == "ignored: nobody here follows the author, is mentioned or is answered"
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 0


async def test_a_reply_to_a_local_status_threads_and_counts(
    send: Send, conn: asyncpg.Connection, site: Site, alice: Member, mallory: RemoteActor
) -> None:
    original = await do_post(conn, site, alice.account.id, Draft(text="What do you think?"))
    parent_uri = site.status_uri("alice", original.id)
    reply = note_create(
        mallory.uri,
        inReplyTo=parent_uri,
        summary="spoilers",
        sensitive=True,
        attachment=[
            {
                "type": "Document",
                "mediaType": "image/png",
                "url": "https://remote.test/media/1.png",
                "name": "a chart",
                "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                "width": 640,
                "height": 480,
                "focalPoint": [0.5, -0.25],
            }
        ],
    )
    assert await send(reply) == "done"
    stored = await conn.fetchrow(
        "SELECT id, in_reply_to_id, in_reply_to_account_id, thread_id, spoiler_text, sensitive"
        " FROM statuses WHERE NOT local"
    )
    assert stored["in_reply_to_id"] == original.id
    assert stored["in_reply_to_account_id"] == alice.account.id
    assert stored["thread_id"] == original.thread_id
    assert (stored["spoiler_text"], stored["sensitive"]) == ("spoilers", True)
    assert await conn.fetchval("SELECT replies_count FROM statuses WHERE id = $1", original.id) == 1
    media = await conn.fetchrow(
        "SELECT * FROM media_attachments WHERE status_id = $1", stored["id"]
    )
    assert (media["type"], media["remote_url"], media["description"]) == (
        "image",
        "https://remote.test/media/1.png",
        "a chart",
    )
    assert (media["focus_x"], media["focus_y"]) == (0.5, -0.25)
    assert media["meta"] == {"original": {"width": 640, "height": 480}}


async def test_an_update_edits_with_history_and_a_delete_removes(
    send: Send, conn: asyncpg.Connection, alice: Member, mallory: RemoteActor
) -> None:
    await followed_by_alice(conn, alice, mallory)
    create = note_create(mallory.uri)
    assert await send(create) == "done"
    edited = {
        **create["object"],
        "content": "<p>Hello, edited</p>",
        "updated": "2025-01-03T00:00:00Z",
    }
    update = activity("Update", mallory.uri, edited, number=1)
    assert await send(update) == "done"
    assert await conn.fetchval("SELECT content FROM statuses") == "<p>Hello, edited</p>"
    history = await conn.fetch("SELECT content FROM status_edits ORDER BY created_at, id")
    assert [row["content"] for row in history] == ["<p>Hello from afar</p>", "<p>Hello, edited</p>"]
    assert (await stats(conn, mallory.id))[2] == 1

    tombstone = {"id": create["object"]["id"], "type": "Tombstone"}
    assert await send(activity("Delete", mallory.uri, tombstone)) == "done"
    assert await conn.fetchval("SELECT deleted_at IS NOT NULL FROM statuses")
    assert await conn.fetchval("SELECT count(*) FROM home_feed") == 0
    assert (await stats(conn, mallory.id))[2] == 0
    # A Create delivered again after the Delete does not bring it back
    create["id"] += "-again"
    assert (await send(create)).startswith("ignored: the post was deleted")


async def test_an_update_of_a_post_we_missed_is_its_create_while_recent(
    send: Send, conn: asyncpg.Connection, alice: Member, mallory: RemoteActor
) -> None:
    await followed_by_alice(conn, alice, mallory)
    # An edit of a post from 2025 that never reached us is an edit we were not interested in
    old = note_create(mallory.uri, number=1)["object"]
    update = activity("Update", mallory.uri, {**old, "updated": "2025-01-03T00:00:00Z"})
    assert (await send(update)).startswith("ignored: an edit of a post we do not have")
    # A recent one arrived before its Create (or its Create never came): kept as a new post
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    recent = note_create(mallory.uri, number=2, published=now, content="<p>Fresh</p>")
    assert await send(activity("Update", mallory.uri, recent["object"], number=2)) == "done"
    assert await conn.fetchval("SELECT content FROM statuses") == "<p>Fresh</p>"
    assert await conn.fetchval("SELECT count(*) FROM home_feed") == 1
    # And the Create that comes after changes nothing
    assert await send(recent) == "done"
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 1


async def test_script_and_style_are_removed_from_remote_html(
    send: Send, conn: asyncpg.Connection, alice: Member, mallory: RemoteActor
) -> None:
    await followed_by_alice(conn, alice, mallory)
    create = note_create(mallory.uri, content='<p onclick="x()">hi<script>alert(1)</script></p>')
    assert await send(create) == "done"
    assert await conn.fetchval("SELECT content FROM statuses") == "<p>hi</p>"

"""What members do to statuses, through Mastodon.py against a live node: boost, favourite,
bookmark, pin, mute a conversation, and the lists that follow from them (favourites,
bookmarks, favourited_by, reblogged_by) paged by the mark's own id."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.live import LiveNode
from tests.status_helpers import block, client, follow, notifications, raw, scalar

STATUSES = "/api/v1/statuses"


def test_reblog_and_unreblog(live_node: LiveNode) -> None:
    # Given bob, followed by dave, and alice's status
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    dave = live_node.member("dave")
    follow(live_node, dave, bob)
    a, b = client(live_node, alice), client(live_node, bob)
    posted = a.status_post("boost me")

    # When bob boosts it
    boost = b.status_reblog(posted.id)

    # Then the answer is the boost, wrapping the original
    assert boost.id != posted.id
    assert boost.reblog.id == posted.id
    assert boost.account.acct == "bob"
    assert boost.content == ""
    assert (boost.reblogged, boost.reblog.reblogged) == (True, True)
    assert boost.reblog.reblogs_count == 1
    assert boost.visibility == "public"
    assert notifications(live_node, alice) == [("reblog", "bob", posted.id)]
    in_daves_feed = scalar(
        live_node,
        "SELECT count(*) FROM home_feed WHERE account_id = $1 AND status_id = $2",
        dave.account.id,
        int(boost.id),
    )
    assert in_daves_feed == 1
    assert [acc.acct for acc in a.status_reblogged_by(posted.id)] == ["bob"]
    assert b.me().statuses_count == 1
    # Boosting again, or boosting the boost, changes nothing.
    assert b.status_reblog(posted.id).id == boost.id
    assert b.status_reblog(boost.id).id == boost.id
    assert a.status(posted.id).reblogs_count == 1
    # A boost is a status of its own that shows the original.
    assert a.status(boost.id).reblog.id == posted.id

    # When bob undoes it
    undone = b.status_unreblog(posted.id)

    # Then the answer is the original, no longer boosted, and every trace is gone
    assert undone.id == posted.id
    assert (undone.reblogged, undone.reblogs_count) == (False, 0)
    assert notifications(live_node, alice) == []
    with pytest.raises(MastodonNotFoundError):
        a.status(boost.id)
    assert a.status_reblogged_by(posted.id) == []
    assert b.me().statuses_count == 0
    assert b.status_unreblog(posted.id).reblogged is False  # undoing twice is no error

    # A boost with a narrower visibility.
    quiet = b.status_reblog(posted.id, visibility="unlisted")
    assert quiet.visibility == "unlisted"
    carol = live_node.member("carol")
    bad = raw(
        live_node,
        "POST",
        f"{STATUSES}/{posted.id}/reblog",
        live_node.token(carol),
        json={"visibility": "direct"},
    )
    assert (bad.status_code, bad.json()["error"]) == (
        422,
        "Validation failed: Visibility is not included in the list",
    )


def test_who_may_boost_what(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    follow(live_node, carol, alice)
    a, b, c = client(live_node, alice), client(live_node, bob), client(live_node, carol)
    private = a.status_post("followers only", visibility="private")
    direct = a.status_post("@carol secret", visibility="direct")

    # Not seeing it: not found. Seeing someone else's followers-only or direct status: 403.
    with pytest.raises(MastodonNotFoundError):
        b.status_reblog(private.id)
    for status in (private, direct):
        with pytest.raises(MastodonAPIError) as raised:
            c.status_reblog(status.id)
        assert raised.value.args[1] == 403
        assert "This action is not allowed" in str(raised.value)
    assert scalar(live_node, "SELECT count(*) FROM statuses WHERE reblog_of_id IS NOT NULL") == 0

    # The author may boost their own followers-only status; the boost stays followers-only.
    own = a.status_reblog(private.id, visibility="public")
    assert own.visibility == "private"
    assert c.status(own.id).reblog.id == private.id
    with pytest.raises(MastodonNotFoundError):
        b.status(own.id)
    assert [acc.acct for acc in c.status_reblogged_by(private.id)] == ["alice"]

    # An internal (local) status's boosts stay internal.
    token = live_node.token(alice)
    internal = raw(live_node, "POST", STATUSES, token, json={"status": "x", "visibility": "local"})
    boost = b.status_reblog(internal.json()["id"], visibility="public")
    assert (boost.visibility, boost.local_only) == ("public", True)
    assert boost.rukun.visibility == "local"

    # Favouriting an author one blocks is refused, as Mastodon's policy does.
    public = a.status_post("public")
    block(live_node, bob, alice)
    with pytest.raises(MastodonAPIError) as raised:
        b.status_favourite(public.id)
    assert raised.value.args[1] == 403


def test_favourite_unfavourite_and_lists(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    a, b, c = client(live_node, alice), client(live_node, bob), client(live_node, carol)
    posted = a.status_post("like me")

    liked = b.status_favourite(posted.id)
    assert (liked.favourited, liked.favourites_count) == (True, 1)
    assert b.status_favourite(posted.id).favourites_count == 1  # a repeat changes nothing
    c.status_favourite(posted.id)
    assert notifications(live_node, alice) == [
        ("favourite", "bob", posted.id),
        ("favourite", "carol", posted.id),
    ]
    assert [acc.acct for acc in a.status_favourited_by(posted.id)] == ["carol", "bob"]
    assert a.status(posted.id).favourited is False

    # Favouriting a boost favourites its original.
    boost = c.status_reblog(posted.id)
    via_boost = a.status_favourite(boost.id)
    assert via_boost.id == boost.id and via_boost.favourited is True
    assert a.status(posted.id).favourites_count == 3

    unliked = b.status_unfavourite(posted.id)
    assert (unliked.favourited, unliked.favourites_count) == (False, 2)
    assert ("favourite", "bob", posted.id) not in notifications(live_node, alice)
    assert b.status_unfavourite(posted.id).favourites_count == 2  # no error, no change


def test_favourites_and_bookmarks_page_by_the_marks_id(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    a, b = client(live_node, alice), client(live_node, bob)
    posts = [a.status_post(f"post {i}") for i in range(5)]
    # Marked in an order other than posting order: lists follow the marks.
    order = [posts[2], posts[0], posts[4], posts[1], posts[3]]
    for post in order:
        b.status_favourite(post.id)
        b.status_bookmark(post.id)
    expected = [p.id for p in reversed(order)]

    for first_page in (b.favourites(limit=2), b.bookmarks(limit=2)):
        seen = []
        page = first_page
        while page:
            seen.extend(s.id for s in page)
            page = b.fetch_next(page)
        assert seen == expected

    # Paging back with min_id, by the mark's id from the Link header.
    first = b.bookmarks(limit=2)
    second = b.fetch_next(first)
    assert [s.id for s in b.fetch_previous(second)] == [s.id for s in first]

    link = raw(live_node, "GET", "/api/v1/bookmarks?limit=2", live_node.token(bob))
    assert 'rel="next"' in link.headers["Link"]
    assert f"max_id={posts[4].id}" not in link.headers["Link"]  # the bookmark's id, not the post's

    assert all(s.bookmarked and s.favourited for s in b.bookmarks())
    b.status_unbookmark(posts[3].id)
    assert posts[3].id not in [s.id for s in b.bookmarks()]
    assert b.status(posts[3].id).bookmarked is False
    b.status_unbookmark(posts[3].id)  # no error

    # A deleted status leaves the lists.
    a.status_delete(posts[2].id)
    assert posts[2].id not in [s.id for s in b.favourites(limit=40)]
    assert [s.id for s in a.favourites()] == []


def test_pin_rules(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    a, b = client(live_node, alice), client(live_node, bob)
    posts = [a.status_post(f"pin {i}", visibility="public") for i in range(5)]
    for post in posts:
        assert a.status_pin(post.id).pinned is True
    assert a.status_pin(posts[0].id).pinned is True  # pinning again is no error

    def refusal(status_id: str, api: object = a) -> str:
        with pytest.raises(MastodonAPIError) as raised:
            api.status_pin(status_id)  # type: ignore[attr-defined]
        assert raised.value.args[1] == 422
        return str(raised.value)

    sixth = a.status_post("one too many", visibility="unlisted")
    assert "maximum number of posts" in refusal(sixth.id)
    a.status_unpin(posts[0].id)
    assert a.status(posts[0].id).pinned is False
    assert a.status_pin(sixth.id).pinned is True

    bobs = b.status_post("bob's")
    assert "Someone else's post" in refusal(bobs.id)
    a.status_unpin(posts[1].id)
    direct = a.status_post("@bob direct", visibility="direct")
    assert "only visible to mentioned users" in refusal(direct.id)
    boost = a.status_reblog(bobs.id)
    assert "A boost cannot be pinned" in refusal(boost.id)
    assert a.status_pin(a.status_post("mine", visibility="private").id).pinned is True
    # pinned shows only on one's own statuses.
    assert (
        "pinned"
        not in raw(live_node, "GET", f"{STATUSES}/{bobs.id}", live_node.token(alice)).json()
    )
    pins = scalar(
        live_node, "SELECT count(*) FROM status_pins WHERE account_id = $1", alice.account.id
    )
    assert pins == 5


def test_mute_conversation_silences_its_notifications(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    a, b, c = client(live_node, alice), client(live_node, bob), client(live_node, carol)
    root = b.status_post("a thread")
    reply = a.status_post("@bob reply", in_reply_to_id=root.id)
    assert ("mention", "alice", reply.id) in notifications(live_node, bob)

    muted = b.status_mute(reply.id)
    assert muted.muted is True
    assert b.status(root.id).muted is True  # the whole conversation
    c.status_post("@bob more", in_reply_to_id=reply.id)
    c.status_favourite(root.id)
    assert [n for n in notifications(live_node, bob) if n[1] == "carol"] == []

    unmuted = b.status_unmute(root.id)
    assert unmuted.muted is False
    c.status_reblog(root.id)
    assert ("reblog", "carol", root.id) in notifications(live_node, bob)


def test_concurrent_boosts_and_favourites_keep_counters_exact(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    posted = client(live_node, alice).status_post("popular")
    fans = [client(live_node, live_node.member(f"fan{i}")) for i in range(8)]
    twice = [fans[0]] * 4  # one member boosting four times at once

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda api: api.status_favourite(posted.id), fans))
        boosts = list(pool.map(lambda api: api.status_reblog(posted.id), twice))

    assert len({b.id for b in boosts}) == 1
    status = client(live_node, alice).status(posted.id)
    assert (status.favourites_count, status.reblogs_count) == (8, 1)
    assert len(notifications(live_node, alice)) == 9

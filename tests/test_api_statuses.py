"""Statuses through Mastodon.py against a live node: posting (with every option Mastodon.py
sends), viewing, editing with history, deleting for a redraft, context, visibility; and the
bad inputs Mastodon.py will not send, over raw HTTP, with no partial writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.live import LiveNode
from tests.status_helpers import (
    add_media,
    app_token,
    block,
    client,
    follow,
    notifications,
    raw,
    row_counts,
    scalar,
)

STATUSES = "/api/v1/statuses"


def test_post_with_every_option_and_read_it_back(live_node: LiveNode) -> None:
    # Given
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    token = app_token(live_node, alice, "Tusky")
    api = live_node.mastodon(token, version_check_mode="none")

    # When
    posted = api.status_post(
        "Hello @bob, see #Rukun",
        spoiler_text="launch news",
        visibility="unlisted",
        language="EN",
    )

    # Then
    assert posted.visibility == "unlisted"
    assert posted.spoiler_text == "launch news"
    assert posted.sensitive is True  # a content warning makes it sensitive
    assert posted.language == "en"
    assert posted.application.name == "Tusky"
    assert [m.acct for m in posted.mentions] == ["bob"]
    assert [t.name for t in posted.tags] == ["rukun"]
    assert "h-card" in posted.content
    assert posted.account.statuses_count == 1

    fetched = client(live_node, bob).status(posted.id)
    assert fetched.id == posted.id
    assert fetched.content == posted.content
    assert notifications(live_node, bob) == [("mention", "alice", posted.id)]


def test_default_visibility_language_and_local_only(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    live_node.with_conn(
        lambda conn: conn.execute(
            "UPDATE users SET default_visibility = 'private', default_language = 'de'"
            " WHERE id = $1",
            alice.user_id,
        )
    )
    token = live_node.token(alice)
    api = live_node.mastodon(token, version_check_mode="none")

    posted = api.status_post("Guten Tag")
    assert (posted.visibility, posted.language) == ("private", "de")

    # Rukun's internal visibility, asked for directly or as glitch-soc's local_only.
    for body in (
        {"status": "internal", "visibility": "local"},
        {"status": "x", "visibility": "public", "local_only": True},
    ):
        response = raw(live_node, "POST", STATUSES, token, json=body)
        assert response.status_code == 200, response.text
        status = response.json()
        assert status["visibility"] == "public"
        assert status["local_only"] is True
        assert status["rukun"]["visibility"] == "local"
    # local_only never widens a narrower choice (here alice's default, followers-only).
    kept = raw(live_node, "POST", STATUSES, token, json={"status": "x", "local_only": True})
    assert kept.json()["visibility"] == "private"


def test_idempotency_key_posts_once(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = client(live_node, alice)

    first = api.status_post("only once", idempotency_key="key-1")
    again = api.status_post("only once", idempotency_key="key-1")
    other = api.status_post("only once", idempotency_key="key-2")

    assert again.id == first.id
    assert other.id != first.id
    count = scalar(
        live_node, "SELECT count(*) FROM statuses WHERE account_id = $1", alice.account.id
    )
    assert count == 2
    stats = scalar(
        live_node,
        "SELECT statuses_count FROM account_stats WHERE account_id = $1",
        alice.account.id,
    )
    assert stats == 2

    # The same key from another member is theirs alone.
    bob = live_node.member("bob")
    bobs = client(live_node, bob).status_post("only once", idempotency_key="key-1")
    assert bobs.id != first.id

    # After the status is deleted, the key posts anew.
    api.status_delete(first.id)
    fresh = api.status_post("only once", idempotency_key="key-1")
    assert fresh.id not in (first.id, other.id)


def test_reply_and_context_in_thread_order(live_node: LiveNode) -> None:
    # Given a thread: root ← r1 ← r1a, root ← r2, posted as root, r1, r2, r1a
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    dave = live_node.member("dave")
    a, b, c = client(live_node, alice), client(live_node, bob), client(live_node, carol)
    root = a.status_post("root")
    r1 = b.status_post("@alice first", in_reply_to_id=root.id)
    r2 = c.status_post("second", in_reply_to_id=root.id)
    r1a = a.status_post("@bob nested", in_reply_to_id=r1.id)
    # A followers-only reply by dave, whom alice does not follow, and a reply below it.
    follow(live_node, carol, dave)
    hidden = client(live_node, dave).status_post("psst", in_reply_to_id=r2.id, visibility="private")
    below_hidden = c.status_post("below", in_reply_to_id=hidden.id)

    # When
    context = a.status_context(root.id)
    middle = a.status_context(r1.id)

    # Then: depth-first, the hidden reply left out without losing what is below it
    assert [s.id for s in context.ancestors] == []
    assert [s.id for s in context.descendants] == [r1.id, r1a.id, r2.id, below_hidden.id]
    assert [s.id for s in middle.ancestors] == [root.id]
    assert [s.id for s in middle.descendants] == [r1a.id]
    assert [s.id for s in c.status_context(root.id).descendants] == [
        r1.id,
        r1a.id,
        r2.id,
        hidden.id,
        below_hidden.id,
    ]
    assert [s.id for s in a.status_context(r1a.id).ancestors] == [root.id, r1.id]
    assert a.status(root.id).replies_count == 2
    assert r1.in_reply_to_account_id == str(alice.account.id)
    assert ("mention", "bob", r1.id) in notifications(live_node, alice)

    # A blocked author's replies leave the blocker's context.
    block(live_node, alice, carol)
    assert [s.id for s in a.status_context(root.id).descendants] == [r1.id, r1a.id]


def test_private_and_direct_visibility(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    a, b, c = client(live_node, alice), client(live_node, bob), client(live_node, carol)
    follow(live_node, carol, alice)

    private = a.status_post("followers only", visibility="private")
    direct = a.status_post("@bob just you", visibility="direct")

    with pytest.raises(MastodonNotFoundError):
        b.status(private.id)
    assert c.status(private.id).id == private.id
    assert b.status(direct.id).visibility == "direct"
    with pytest.raises(MastodonNotFoundError):
        c.status(direct.id)
    with pytest.raises(MastodonNotFoundError):
        b.status_context(private.id)
    with pytest.raises(MastodonNotFoundError):
        b.status_post("sneaky reply", in_reply_to_id=private.id)
    assert notifications(live_node, bob) == [("mention", "alice", direct.id)]
    assert notifications(live_node, carol) == []

    # GET /api/v1/statuses?id[]= answers those the viewer may see, in the order asked.
    public = a.status_post("for all")
    assert [s.id for s in b.statuses([public.id, private.id, direct.id])] == [public.id, direct.id]
    assert [s.id for s in c.statuses([direct.id, private.id, public.id])] == [private.id, public.id]


def test_edit_records_history_and_notifies_boosters(live_node: LiveNode) -> None:
    # Given a status with an image, boosted by bob
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    a, b = client(live_node, alice), client(live_node, bob)
    image = add_media(live_node, alice, description="first alt")
    posted = a.status_post("Version one", media_ids=[image], language="en")
    b.status_reblog(posted.id)
    assert posted.edited_at is None
    single = a.status_history(posted.id)
    assert [v.content for v in single] == [posted.content]

    # When alice edits the text, the warning and the alt text
    edited = a.status_update(
        posted.id,
        "Version two, cc @bob",
        spoiler_text="edited",
        media_attributes=[a.generate_media_edit_attributes(image, description="second alt")],
    )

    # Then
    assert edited.edited_at is not None
    assert edited.spoiler_text == "edited"
    assert edited.language == "en"  # kept
    assert edited.media_attachments[0].description == "second alt"
    history = a.status_history(posted.id)
    assert [v.content for v in history] == ["<p>Version one</p>", edited.content]
    assert history[0].created_at == posted.created_at
    assert [v.media_attachments[0].description for v in history] == ["first alt", "second alt"]
    assert history[1].spoiler_text == "edited"
    source = a.status_source(posted.id)
    assert (source.text, source.spoiler_text) == ("Version two, cc @bob", "edited")
    assert ("update", "alice", posted.id) in notifications(live_node, bob)
    assert ("mention", "alice", posted.id) in notifications(live_node, bob)

    # An edit that changes nothing adds no version.
    a.status_update(posted.id, "Version two, cc @bob", spoiler_text="edited", media_ids=[image])
    assert len(a.status_history(posted.id)) == 2

    # A second edit adds one version and one (fresh) update notification.
    a.status_update(posted.id, "Version three", media_ids=[image])
    assert len(b.status_history(posted.id)) == 3
    updates = [n for n in notifications(live_node, bob) if n[0] == "update"]
    assert updates == [("update", "alice", posted.id)]

    # Leaving the media out of an edit removes it, as in Mastodon.
    bare = a.status_update(posted.id, "Version four")
    assert bare.media_attachments == []

    # Only the author edits: to others the status is not there.
    with pytest.raises(MastodonNotFoundError):
        b.status_update(posted.id, "hijacked")


def test_delete_answers_source_and_releases_media_for_redraft(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    a, b = client(live_node, alice), client(live_node, bob)
    follow(live_node, bob, alice)
    image = add_media(live_node, alice)
    root = b.status_post("root")
    posted = a.status_post("Draft #one", media_ids=[image], in_reply_to_id=root.id)
    boost = b.status_reblog(posted.id)
    b.status_favourite(posted.id)
    assert b.status(root.id).replies_count == 1

    # Only the author deletes.
    with pytest.raises(MastodonNotFoundError):
        b.status_delete(posted.id)

    deleted = a.status_delete(posted.id)

    assert deleted.text == "Draft #one"
    assert deleted.id == posted.id
    assert [m.id for m in deleted.media_attachments] == [str(image)]
    assert deleted.account.statuses_count == 0
    with pytest.raises(MastodonNotFoundError):
        a.status(posted.id)
    with pytest.raises(MastodonNotFoundError):
        b.status(boost.id)  # boosts go with it
    with pytest.raises(MastodonNotFoundError):
        a.status_delete(posted.id)
    assert b.status(root.id).replies_count == 0
    assert b.me().statuses_count == 1
    feed = scalar(
        live_node,
        "SELECT count(*) FROM home_feed WHERE status_id = ANY($1::bigint[])",
        [int(posted.id), int(boost.id)],
    )
    assert feed == 0
    assert [n for n in notifications(live_node, alice) if n[2] == posted.id] == []

    # Redraft: the media is free to attach again.
    redrafted = a.status_post(deleted.text, media_ids=[image])
    assert [m.id for m in redrafted.media_attachments] == [str(image)]


def test_bad_inputs_answer_mastodon_errors_without_writing(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    token = live_node.token(alice)
    reader = live_node.token(alice, "read")
    bobs_media = add_media(live_node, bob)
    before = row_counts(live_node)

    cases = [
        ({"status": ""}, 422, "Validation failed: Text can't be blank"),
        ({"status": "   "}, 422, "Validation failed: Text can't be blank"),
        ({"status": "x", "visibility": "friends"}, 422, "Validation failed: Visibility"),
        ({"status": ["a", "list"]}, 422, "Validation failed: status must be a string"),
        ({"status": "x", "sensitive": "perhaps"}, 422, "Validation failed: sensitive"),
        ({"status": "x", "media_ids": {"a": 1}}, 422, "Validation failed"),
        ({"status": "x", "media_ids": ["12x"]}, 422, "Validation failed: media_ids"),
        ({"status": "x", "media_ids": [str(bobs_media)]}, 422, "media attachment was not found"),
        ({"status": "x", "language": "english"}, 422, "Validation failed: Language"),
        ({"status": "x", "language": "xx"}, 422, "Validation failed: Language"),
        ({"status": "x", "scheduled_at": "2030-01-01T00:00:00Z"}, 422, "not supported yet"),
        ({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 600}}, 422, "Polls"),
        ({"status": "x" * 5001}, 422, "Validation failed: Text is too long"),
        ({"status": "x", "in_reply_to_id": "123"}, 404, "does not appear to exist"),
    ]
    for body, status, message in cases:
        response = raw(live_node, "POST", STATUSES, token, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["Content-Type"].startswith("application/json")
        assert message in response.json()["error"], (body, response.json())

    form = raw(live_node, "POST", STATUSES, token, data={"status": "x", "visibility": "x"})
    assert form.status_code == 422
    not_json = raw(
        live_node,
        "POST",
        STATUSES,
        token,
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    array = raw(live_node, "POST", STATUSES, token, json=["status"])
    assert array.status_code == 422

    no_token = raw(live_node, "POST", STATUSES, json={"status": "x"})
    assert (no_token.status_code, no_token.json()) == (
        401,
        {"error": "The access token is invalid"},
    )
    wrong_scope = raw(live_node, "POST", STATUSES, reader, json={"status": "x"})
    assert (wrong_scope.status_code, wrong_scope.json()) == (
        403,
        {"error": "This action is outside the authorized scopes"},
    )
    assert row_counts(live_node) == before

    # Reads need a token too, and unknown or malformed ids are simply not found.
    posted = client(live_node, alice).status_post("exists")
    assert raw(live_node, "GET", f"{STATUSES}/{posted.id}").status_code == 401
    for path in (f"{STATUSES}/1", f"{STATUSES}/abc", f"{STATUSES}/99999999999999999999"):
        response = raw(live_node, "GET", path, token)
        assert (response.status_code, response.json()) == (404, {"error": "Record not found"})
    for action in ("favourite", "reblog", "bookmark", "pin", "mute", "context", "history"):
        method = "GET" if action in ("context", "history") else "POST"
        response = raw(live_node, method, f"{STATUSES}/1/{action}", token)
        assert response.status_code == 404, action
    too_many = raw(
        live_node, "GET", STATUSES, token, params=[("id[]", str(i)) for i in range(1, 22)]
    )
    assert too_many.status_code == 422

    # A bad edit changes nothing either.
    after_post = row_counts(live_node)
    bad_edits = [
        {"status": ""},
        {"status": "x", "media_ids": [str(bobs_media)]},
        {"status": "x", "media_attributes": [{"id": "1", "focus": "3,3"}]},
        {"status": "x", "poll": {"options": ["a"]}},
        {"status": {"nested": True}},
    ]
    for body in bad_edits:
        response = raw(live_node, "PUT", f"{STATUSES}/{posted.id}", token, json=body)
        assert response.status_code == 422, (body, response.text)
    assert row_counts(live_node) == after_post
    assert client(live_node, alice).status(posted.id).edited_at is None


def test_scopes_per_endpoint(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    posted = client(live_node, alice).status_post("scoped")
    path = f"{STATUSES}/{posted.id}"
    granular = {
        "read:statuses": [("GET", path), ("GET", f"{path}/context"), ("GET", f"{path}/source")],
        "write:statuses": [("POST", f"{path}/reblog"), ("POST", f"{path}/unreblog")],
        "write:favourites": [("POST", f"{path}/favourite"), ("POST", f"{path}/unfavourite")],
        "write:bookmarks": [("POST", f"{path}/bookmark"), ("POST", f"{path}/unbookmark")],
        "write:accounts": [("POST", f"{path}/pin"), ("POST", f"{path}/unpin")],
        "write:mutes": [("POST", f"{path}/mute"), ("POST", f"{path}/unmute")],
        "read:favourites": [("GET", "/api/v1/favourites")],
        "read:bookmarks": [("GET", "/api/v1/bookmarks")],
        "read:accounts": [("GET", f"{path}/favourited_by"), ("GET", f"{path}/reblogged_by")],
    }
    for scope, calls in granular.items():
        allowed = live_node.token(alice, scope)
        other = live_node.token(alice, "read:notifications write:media")
        for method, url in calls:
            assert raw(live_node, method, url, allowed).status_code == 200, (scope, url)
            assert raw(live_node, method, url, other).status_code == 403, (scope, url)


def test_mastodon_py_errors_carry_the_message(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = client(live_node, alice)
    with pytest.raises(MastodonAPIError) as raised:
        api.status_post("")
    assert raised.value.args[1] == 422
    assert "Text can't be blank" in str(raised.value)


def test_concurrent_posts_with_one_key_make_one_status(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    apis = [client(live_node, alice) for _ in range(6)]

    with ThreadPoolExecutor(max_workers=len(apis)) as pool:
        posted = list(pool.map(lambda api: api.status_post("once", idempotency_key="race"), apis))

    assert len({s.id for s in posted}) == 1
    count = scalar(
        live_node, "SELECT count(*) FROM statuses WHERE account_id = $1", alice.account.id
    )
    assert count == 1

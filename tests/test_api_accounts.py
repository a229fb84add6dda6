"""Accounts and relationships through the client API, as apps use it: Mastodon.py against a
live node, and raw HTTP for the answers to bad requests."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
import requests
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError
from PIL import Image

from actors.accounts import Member
from content.compose import Draft
from outbox.posting import do_post
from tests.live import LiveNode


def client(node: LiveNode, member: Member, scopes: str = "read write follow") -> Mastodon:
    return node.mastodon(node.token(member, scopes), version_check_mode="none")


def post(node: LiveNode, member: Member, text: str, **draft: Any) -> int:
    async def write(conn: asyncpg.Connection) -> int:
        status = await do_post(conn, node.site, member.account.id, Draft(text=text, **draft))
        return status.id

    return node.with_conn(write)


def notifications(node: LiveNode, member: Member) -> list[tuple[str, int]]:
    async def read(conn: asyncpg.Connection) -> list[tuple[str, int]]:
        rows = await conn.fetch(
            "SELECT type, from_account_id FROM notifications WHERE account_id = $1 ORDER BY id",
            member.account.id,
        )
        return [(row["type"], row["from_account_id"]) for row in rows]

    return node.with_conn(read)


def home_feed(node: LiveNode, member: Member) -> set[int]:
    async def read(conn: asyncpg.Connection) -> set[int]:
        rows = await conn.fetch(
            "SELECT status_id FROM home_feed WHERE account_id = $1", member.account.id
        )
        return {row["status_id"] for row in rows}

    return node.with_conn(read)


def raw(
    node: LiveNode, method: str, path: str, token: str | None = None, **options: Any
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, node.base_url + path, headers=headers, timeout=10, **options)


def png(width: int = 64, height: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(buffer, "PNG")
    return buffer.getvalue()


# -- the member's own account ---------------------------------------------------------------


def test_verify_and_update_credentials(live_node: LiveNode) -> None:
    alice = live_node.member("alice", display_name="Alice")
    api = client(live_node, alice)

    me = api.account_verify_credentials()
    assert me.username == "alice" and me.display_name == "Alice"
    assert me.source.privacy == "public" and me.role.id == "employee"
    assert me.source.follow_requests_count == 0

    updated = api.account_update_credentials(
        display_name="Alice Liddell",
        note="Head of <wonder>\nland",
        locked=True,
        bot=False,
        discoverable=False,
        fields=[("Pronouns", "she/her"), ("Site", "https://example.com/a"), ("", "")],
        default_privacy="private",
        default_sensitive=True,
        default_language="en",
    )
    assert updated.display_name == "Alice Liddell"
    assert updated.note == "<p>Head of &lt;wonder&gt;<br>land</p>"
    assert updated.source.note == "Head of <wonder>\nland"
    assert updated.locked is True and updated.discoverable is False
    assert [(f.name, f.value) for f in updated.source.fields] == [
        ("Pronouns", "she/her"),
        ("Site", "https://example.com/a"),
    ]
    assert updated.fields[1].value.startswith('<a href="https://example.com/a"')
    assert (updated.source.privacy, updated.source.sensitive, updated.source.language) == (
        "private",
        True,
        "en",
    )
    # The user's posting defaults are what was stored.
    row = live_node.with_conn(
        lambda conn: conn.fetchrow(
            "SELECT default_visibility, default_sensitive, default_language FROM users"
            " WHERE id = $1",
            alice.user_id,
        )
    )
    assert tuple(row) == ("private", True, "en")
    # Fields come back escaped as HTML; a `profile`-scoped token may verify credentials.
    api.account_update_credentials(fields=[("x", "<script>")])
    profile_only = client(live_node, alice, "profile")
    assert profile_only.account_verify_credentials().fields[0].value == "&lt;script&gt;"


def test_update_credentials_forms_json_and_organisation_fields(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice)

    # Rails' bracket form, as browsers and most apps send it.
    response = raw(
        live_node,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        token,
        data={
            "fields_attributes[0][name]": "Team",
            "fields_attributes[0][value]": "Payments",
            "department": "Engineering",
            "job_title": "Staff engineer",
            "location": "Kuala Lumpur",
            "source[privacy]": "unlisted",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"]["fields"] == [{"name": "Team", "value": "Payments", "verified_at": None}]
    assert {"name": "Department", "value": "Engineering", "verified_at": None} in body["fields"]
    assert {"name": "Job title", "value": "Staff engineer", "verified_at": None} in body["fields"]
    assert body["source"]["privacy"] == "unlisted"

    # JSON: fields as an array, or as an object keyed by index.
    response = raw(
        live_node,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        token,
        json={"fields_attributes": {"1": {"name": "B", "value": "2"}, "0": {"name": "A"}}},
    )
    assert [f["name"] for f in response.json()["source"]["fields"]] == ["A", "B"]
    response = raw(
        live_node,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        token,
        json={"fields_attributes": [], "locked": True},
    )
    assert response.json()["source"]["fields"] == [] and response.json()["locked"] is True


def test_update_credentials_avatar_and_header(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = client(live_node, alice)

    updated = api.account_update_credentials(
        avatar=png(),
        avatar_mime_type="image/png",
        header=png(300, 100),
        header_mime_type="image/png",
    )
    assert updated.avatar.startswith("https://rukun.test/system/avatars/")
    assert updated.header.startswith("https://rukun.test/system/headers/")
    stored = live_node.config.media_root / updated.avatar.removeprefix("https://rukun.test/system/")
    assert stored.is_file()

    replaced = api.account_update_credentials(avatar=png(32, 32), avatar_mime_type="image/png")
    assert replaced.avatar != updated.avatar and replaced.header == updated.header
    assert not stored.exists()  # the replaced picture is gone

    response = raw(
        live_node,
        "PATCH",
        "/api/v1/accounts/update_credentials",
        live_node.token(alice),
        files={"avatar": ("a.png", b"not an image", "image/png")},
    )
    assert response.status_code == 422 and "error" in response.json()


def test_delete_avatar_and_header(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    api = client(live_node, alice)
    updated = api.account_update_credentials(
        avatar=png(),
        avatar_mime_type="image/png",
        header=png(300, 100),
        header_mime_type="image/png",
    )
    avatar = live_node.config.media_root / updated.avatar.removeprefix("https://rukun.test/system/")
    header = live_node.config.media_root / updated.header.removeprefix("https://rukun.test/system/")

    # Mastodon.py's DELETE /api/v1/profile/avatar answers the credential account
    cleared = api.account_delete_avatar()
    assert cleared.avatar == "https://rukun.test/static/avatar.png"
    assert cleared.header == updated.header
    assert not avatar.exists() and header.is_file()
    cleared = api.account_delete_header()
    assert cleared.header == "https://rukun.test/static/header.png"
    assert not header.exists()
    # Deleting again is no error; without a token it is
    assert api.account_delete_header().header == cleared.header
    assert raw(live_node, "DELETE", "/api/v1/profile/avatar", None).status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"display_name": "x" * 31}, "Display name is too long"),
        ({"note": "x" * 501}, "Note is too long"),
        ({"department": "x" * 101}, "Department is too long"),
        ({"fields_attributes": [{"name": str(i), "value": "v"} for i in range(5)]}, "Fields"),
        ({"fields_attributes": [{"name": "n" * 256, "value": "v"}]}, "Field name is too long"),
        ({"fields_attributes": [{"name": "n", "value": "v" * 256}]}, "Field value is too long"),
        ({"fields_attributes": "nope"}, "fields_attributes"),
        ({"fields_attributes": [{"name": ["x"]}]}, "name must be a string"),
        ({"locked": "maybe"}, "locked must be true or false"),
        ({"display_name": {"a": 1}}, "display_name must be a string"),
        ({"source": {"privacy": "direct"}}, "privacy"),
        ({"source": {"language": "english!"}}, "language"),
        ({"avatar": "https://example.com/a.png"}, "avatar must be an image file"),
        ({"header": 1}, "header must be an image file"),
    ],
)
def test_update_credentials_rejects_bad_values(
    live_node: LiveNode, body: dict[str, Any], message: str
) -> None:
    alice = live_node.member("alice", display_name="Alice")
    response = raw(
        live_node, "PATCH", "/api/v1/accounts/update_credentials", live_node.token(alice), json=body
    )
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/json")
    assert message in response.json()["error"]
    # Nothing was written.
    assert client(live_node, alice).account_verify_credentials().display_name == "Alice"


# -- other accounts ---------------------------------------------------------------------------


def test_account_accounts_and_lookup(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob", display_name="Bob Builder")
    api = client(live_node, alice)

    assert api.account(bob.account.id).display_name == "Bob Builder"
    found = api.accounts([bob.account.id, alice.account.id, 12345])
    assert [a.username for a in found] == ["bob", "alice"]
    assert int(api.account_lookup("bob").id) == bob.account.id
    assert int(api.account_lookup("@BOB@rukun.test").id) == bob.account.id
    with pytest.raises(MastodonNotFoundError):
        api.account_lookup("nobody")
    # The instance actor is not an account apps see.
    with pytest.raises(MastodonNotFoundError):
        api.account_lookup("instance.actor")

    live_node.with_conn(
        lambda conn: conn.execute(
            "UPDATE accounts SET suspended_at = now() WHERE id = $1", bob.account.id
        )
    )
    with pytest.raises(MastodonNotFoundError):
        api.account(bob.account.id)
    assert api.accounts([bob.account.id]) == []
    assert api.account_relationships(bob.account.id) == []
    [relationship] = api.account_relationships(bob.account.id, with_suspended=True)
    assert int(relationship.id) == bob.account.id


def test_account_search(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    live_node.member("bob", display_name="Roberta Builder")
    live_node.member("bobby")
    carol = live_node.member("carol", display_name="Carol Bobson")
    dave = live_node.member("dave")
    api = client(live_node, alice)

    # The exact username first; then by username, display names matched word by word.
    assert [a.username for a in api.account_search("bob")] == ["bob", "bobby", "carol"]
    assert [a.username for a in api.account_search("BUILD")] == ["bob"]
    assert {a.username for a in api.account_search("bobs")} == {"carol"}
    assert [a.username for a in api.account_search("@bobby@rukun.test")] == ["bobby"]
    assert api.account_search("bob@elsewhere.example") == []
    assert api.account_search("instance") == []
    page = api.account_search("b", limit=1)
    assert len(page) == 1 and len(api.fetch_next(page)) == 1

    api.account_follow(carol.account.id)
    assert [a.username for a in api.account_search("c", following=True)] == ["carol"]
    # Someone who blocks the searcher is not found.
    client(live_node, dave).account_block(alice.account.id)
    assert api.account_search("dave") == []


def test_account_statuses(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    first = post(live_node, bob, "hello #rukun")
    reply_to_self = post(live_node, bob, "more", in_reply_to_id=first)
    other = post(live_node, alice, "hi bob")
    reply_to_other = post(live_node, bob, "@alice hi", in_reply_to_id=other)
    private = post(live_node, bob, "followers only", visibility="private")
    api = client(live_node, alice)

    ids = [int(s.id) for s in api.account_statuses(bob.account.id)]
    assert ids == [reply_to_other, reply_to_self, first]  # the private one is hidden
    api.account_follow(bob.account.id)
    ids = [int(s.id) for s in api.account_statuses(bob.account.id)]
    assert ids == [private, reply_to_other, reply_to_self, first]
    excluded = api.account_statuses(bob.account.id, exclude_replies=True)
    assert [int(s.id) for s in excluded] == [private, reply_to_self, first]
    assert [int(s.id) for s in api.account_statuses(bob.account.id, tagged="Rukun")] == [first]
    assert api.account_statuses(bob.account.id, only_media=True) == []
    assert api.account_statuses(bob.account.id, pinned=True) == []

    page = api.account_statuses(bob.account.id, limit=2)
    assert [int(s.id) for s in page] == [private, reply_to_other]
    older = api.fetch_next(page)
    assert [int(s.id) for s in older] == [reply_to_self, first]
    newer = api.account_statuses(bob.account.id, min_id=reply_to_self, limit=1)
    assert [int(s.id) for s in newer] == [reply_to_other]


def test_followers_and_following_pages(live_node: LiveNode) -> None:
    bob = live_node.member("bob")
    followers = [live_node.member(f"fan{i}") for i in range(5)]
    for fan in followers:
        client(live_node, fan).account_follow(bob.account.id)
    api = client(live_node, bob)

    page = api.account_followers(bob.account.id, limit=2)
    assert [a.username for a in page] == ["fan4", "fan3"]
    page = api.fetch_next(page)
    assert [a.username for a in page] == ["fan2", "fan1"]
    page = api.fetch_next(page)
    assert [a.username for a in page] == ["fan0"]
    assert [a.username for a in api.fetch_previous(page)] == ["fan2", "fan1"]
    assert [a.username for a in api.account_following(followers[0].account.id)] == ["bob"]

    response = raw(
        live_node, "GET", f"/api/v1/accounts/{bob.account.id}/followers?limit=1", api.access_token
    )
    link = response.headers["Link"]
    assert 'rel="next"' in link and 'rel="prev"' in link and "limit=1" in link


# -- relationships ----------------------------------------------------------------------------


def test_follow_unfollow_counters_notifications_and_feed(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    earlier = post(live_node, bob, "before you followed")
    api = client(live_node, alice)

    relationship = api.account_follow(bob.account.id, reblogs=False, notify=True)
    assert relationship.following and not relationship.showing_reblogs and relationship.notifying
    assert api.account(bob.account.id).followers_count == 1
    assert api.account_verify_credentials().following_count == 1
    assert notifications(live_node, bob) == [("follow", alice.account.id)]
    assert earlier in home_feed(live_node, alice)  # merged on follow

    # Following again changes the options given, keeps the others, and moves no counter.
    again = raw(
        live_node,
        "POST",
        f"/api/v1/accounts/{bob.account.id}/follow",
        api.access_token,
        data={"reblogs": "true"},
    ).json()
    assert again["showing_reblogs"] and again["notifying"]
    assert api.account(bob.account.id).followers_count == 1
    assert client(live_node, bob).account_relationships(alice.account.id)[0].followed_by

    relationship = api.account_unfollow(bob.account.id)
    assert not relationship.following
    assert api.account(bob.account.id).followers_count == 0
    assert notifications(live_node, bob) == []
    assert earlier not in home_feed(live_node, alice)


def test_locked_account_request_flow(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    bob_api = client(live_node, bob)
    bob_api.account_update_credentials(locked=True)
    alice_api, carol_api = client(live_node, alice), client(live_node, carol)

    requested = alice_api.account_follow(bob.account.id, notify=True)
    assert requested.requested and not requested.following and requested.notifying
    carol_api.account_follow(bob.account.id)
    assert notifications(live_node, bob) == [
        ("follow_request", alice.account.id),
        ("follow_request", carol.account.id),
    ]
    assert bob_api.account_verify_credentials().source.follow_requests_count == 2
    assert [a.username for a in bob_api.follow_requests()] == ["carol", "alice"]
    assert bob_api.account_relationships(alice.account.id)[0].requested_by
    assert bob_api.account(bob.account.id).followers_count == 0

    accepted = bob_api.follow_request_authorize(alice.account.id)
    assert accepted.followed_by and not accepted.requested_by
    assert alice_api.account_relationships(bob.account.id)[0].following
    assert alice_api.account_relationships(bob.account.id)[0].notifying  # kept from the request
    rejected = bob_api.follow_request_reject(carol.account.id)
    assert not rejected.followed_by and not rejected.requested_by
    assert bob_api.follow_requests() == []
    assert notifications(live_node, bob) == []
    assert bob_api.account(bob.account.id).followers_count == 1
    with pytest.raises(MastodonNotFoundError):
        bob_api.follow_request_authorize(carol.account.id)

    # A request withdrawn by unfollowing disappears with its notification.
    carol_api.account_follow(bob.account.id)
    carol_api.account_unfollow(bob.account.id)
    assert bob_api.follow_requests() == [] and notifications(live_node, bob) == []

    # Unlocking accepts whoever is waiting, as Mastodon does.
    carol_api.account_follow(bob.account.id)
    bob_api.account_update_credentials(locked=False)
    assert carol_api.account_relationships(bob.account.id)[0].following
    assert bob_api.account(bob.account.id).followers_count == 2


def test_block_and_unblock(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    alice_api, bob_api = client(live_node, alice), client(live_node, bob)
    alice_api.account_follow(bob.account.id)
    bob_api.account_follow(alice.account.id)
    bobs = post(live_node, bob, "hello")
    assert bobs in home_feed(live_node, alice)

    relationship = alice_api.account_block(bob.account.id)
    assert relationship.blocking and not relationship.following and not relationship.followed_by
    assert bob_api.account_relationships(alice.account.id)[0].blocked_by
    assert alice_api.account(alice.account.id).followers_count == 0
    assert alice_api.account(alice.account.id).following_count == 0
    assert notifications(live_node, alice) == []
    assert bobs not in home_feed(live_node, alice)
    assert [a.username for a in alice_api.blocks()] == ["bob"]

    # Blocked either way: following is not allowed.
    for api, target in ((bob_api, alice), (alice_api, bob)):
        with pytest.raises(MastodonAPIError) as refused:
            api.account_follow(target.account.id)
        assert refused.value.args[1] == 403
    assert bob_api.account_followers(alice.account.id) == []  # hidden from the blocked

    assert not alice_api.account_unblock(bob.account.id).blocking
    assert alice_api.blocks() == []
    assert alice_api.account_follow(bob.account.id).following


def test_mute_with_duration_and_unmute(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    api = client(live_node, alice)
    api.account_follow(bob.account.id)
    bobs = post(live_node, bob, "noise")

    before = datetime.now(UTC)
    relationship = api.account_mute(bob.account.id, notifications=False, duration=3600)
    assert relationship.muting and not relationship.muting_notifications
    assert bobs not in home_feed(live_node, alice)
    [muted] = api.mutes()
    assert muted.username == "bob"
    expires = muted.mute_expires_at
    assert before + timedelta(seconds=3590) < expires < before + timedelta(seconds=3700)

    # Muting again replaces the choice: for ever, notifications too.
    relationship = api.account_mute(bob.account.id)
    assert relationship.muting_notifications
    assert api.mutes()[0].mute_expires_at is None

    assert not api.account_unmute(bob.account.id).muting
    assert api.mutes() == []


def test_notes_remove_from_followers_and_familiar_followers(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    carol = live_node.member("carol")
    dave = live_node.member("dave")
    alice_api = client(live_node, alice)

    assert alice_api.account_note_set(bob.account.id, "met at the offsite").note == (
        "met at the offsite"
    )
    assert alice_api.account_relationships([bob.account.id])[0].note == "met at the offsite"
    assert alice_api.account_note_set(bob.account.id, "").note == ""

    # Alice follows carol and dave; both follow bob; only carol follows dave.
    for api, targets in (
        (alice_api, [carol, dave]),
        (client(live_node, carol), [bob, dave]),
        (client(live_node, dave), [bob]),
    ):
        for target in targets:
            api.account_follow(target.account.id)
    familiar = alice_api.account_familiar_followers([bob.account.id, dave.account.id])
    assert [int(f.id) for f in familiar] == [bob.account.id, dave.account.id]
    assert {a.username for a in familiar[0].accounts} == {"carol", "dave"}
    assert [a.username for a in familiar[1].accounts] == ["carol"]

    # Bob sends carol away.
    bob_api = client(live_node, bob)
    relationship = bob_api.account_remove_from_followers(carol.account.id)
    assert not relationship.followed_by
    assert bob_api.account(bob.account.id).followers_count == 1

    relationships = alice_api.account_relationships([carol.account.id, 999, alice.account.id])
    assert [int(r.id) for r in relationships] == [carol.account.id, alice.account.id]
    assert relationships[0].following and not relationships[1].following


def test_follow_yourself_and_unknown_accounts(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice)

    response = raw(live_node, "POST", f"/api/v1/accounts/{alice.account.id}/follow", token)
    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    for method, path in (
        ("GET", "/api/v1/accounts/12345"),
        ("GET", "/api/v1/accounts/abc"),
        ("GET", "/api/v1/accounts/12345/statuses"),
        ("GET", "/api/v1/accounts/12345/followers"),
        ("POST", "/api/v1/accounts/12345/follow"),
        ("POST", "/api/v1/accounts/12345/block"),
        ("POST", "/api/v1/accounts/12345/mute"),
        ("POST", "/api/v1/follow_requests/12345/authorize"),
    ):
        response = raw(live_node, method, path, token)
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}


def test_tokens_and_scopes(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    read_only = live_node.token(alice, "read")
    follow_only = live_node.token(alice, "follow")

    response = raw(live_node, "GET", "/api/v1/accounts/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    assert raw(live_node, "GET", f"/api/v1/accounts/{bob.account.id}").status_code == 401
    assert raw(live_node, "GET", "/api/v1/blocks", "not-a-token").status_code == 401

    for path in (
        f"/api/v1/accounts/{bob.account.id}/follow",
        f"/api/v1/accounts/{bob.account.id}/block",
    ):
        response = raw(live_node, "POST", path, read_only)
        assert response.status_code == 403
        assert response.json() == {"error": "This action is outside the authorized scopes"}
    response = raw(live_node, "PATCH", "/api/v1/accounts/update_credentials", follow_only)
    assert response.status_code == 403
    # The legacy `follow` scope covers follows, blocks and mutes.
    assert raw(live_node, "POST", f"/api/v1/accounts/{bob.account.id}/mute", follow_only).ok
    assert raw(live_node, "GET", "/api/v1/mutes", follow_only).ok
    assert (
        raw(live_node, "GET", f"/api/v1/accounts/{bob.account.id}", follow_only).status_code == 403
    )


@pytest.mark.parametrize(
    ("method", "path", "options"),
    [
        ("POST", "/follow", {"data": {"reblogs": "perhaps"}}),
        ("POST", "/follow", {"json": {"notify": [1]}}),
        ("POST", "/follow", {"json": {"languages": ["english"]}}),
        ("POST", "/mute", {"data": {"duration": "soon"}}),
        ("POST", "/mute", {"data": {"duration": "-5"}}),
        ("POST", "/note", {"json": {"comment": "x" * 2001}}),
        ("POST", "/note", {"json": {"comment": {"text": "x"}}}),
        ("GET", "/statuses", {"params": {"limit": "many"}}),
        ("GET", "/statuses", {"params": {"max_id": "yesterday"}}),
    ],
)
def test_wrong_types_answer_422(
    live_node: LiveNode, method: str, path: str, options: dict[str, Any]
) -> None:
    alice = live_node.member("alice")
    bob = live_node.member("bob")
    response = raw(
        live_node,
        method,
        f"/api/v1/accounts/{bob.account.id}{path}",
        live_node.token(alice),
        **options,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed")


def test_list_parameters_answer_422(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice)
    for path in (
        "/api/v1/accounts/relationships?id[]=abc",
        "/api/v1/accounts/familiar_followers?id[]=1&id[]=x",
        "/api/v1/accounts?" + "&".join(f"id[]={i}" for i in range(41)),
        "/api/v1/accounts/search?q=a&limit=ten",
    ):
        response = raw(live_node, "GET", path, token)
        assert response.status_code == 422, path
    assert raw(live_node, "GET", "/api/v1/accounts/lookup", token).status_code == 400

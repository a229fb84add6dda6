"""A member's whole day through a real Mastodon app library: register an app, log in with an
authorization code and PKCE through the sign-in and consent pages, then post, reply, boost,
favourite, bookmark, edit, delete, follow a locked colleague, page the home timeline both ways,
upload an image, search, read notifications and set markers — all with Mastodon.py, version
checks on, against a live node."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from mastodon import Mastodon, MastodonNotFoundError
from PIL import Image

from tests.live import LiveNode
from tests.test_api_media import running_worker
from tests.test_oauth import CALLBACK, SCOPES, code_from, consent, pkce_pair, post_token, register


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[LiveNode]:
    started = LiveNode(database_url, tmp_path / "media", domain=None).start()
    try:
        yield started
    finally:
        started.stop()


def log_in_with_pkce(node: LiveNode, login: str) -> Mastodon:
    """Register an app and sign `login` in through the browser pages, as a phone app does."""
    app = register(node)
    verifier, challenge = pkce_pair()
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    code = code_from(consent(requests.Session(), url, login=login))["code"][0]
    answer = post_token(
        node,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        client_id=app.client_id,
        client_secret=app.client_secret,
        code_verifier=verifier,
    )
    assert answer.status_code == 200, answer.text
    return Mastodon(
        api_base_url=node.base_url,
        access_token=answer.json()["access_token"],
        version_check_mode="created",
    )


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_members_day(node: LiveNode) -> None:
    node.member("alice", email="alice@example.com", display_name="Alice")
    node.member("bob")
    node.member("carol")
    alice = log_in_with_pkce(node, "alice")
    bob = log_in_with_pkce(node, "bob")
    carol = log_in_with_pkce(node, "carol")

    # Morning: Alice checks who she is and fills in her profile, picture included.
    me = alice.account_verify_credentials()
    assert me["username"] == "alice"
    updated = alice.account_update_credentials(
        note="Payments team",
        fields=[("Team", "Payments")],
        avatar=jpeg(),
        avatar_mime_type="image/jpeg",
    )
    assert updated["source"]["note"] == "Payments team"
    assert "/system/" in updated["avatar"]

    # Bob locks his account; Alice's follow waits for him, then he accepts.
    bob_me = bob.account_update_credentials(locked=True)
    assert alice.account_follow(bob_me["id"])["requested"] is True
    assert [a["username"] for a in bob.follow_requests()] == ["alice"]
    bob.follow_request_authorize(me["id"])
    assert alice.account_relationships(bob_me["id"])[0]["following"] is True
    carol.account_follow(me["id"])
    bob.account_follow(me["id"])

    # Alice posts with an image, processed by the worker.
    with running_worker(node):
        media = alice.media_post(
            jpeg(), mime_type="image/jpeg", description="The dashboard", synchronous=True
        )
    assert media["url"] and media["blurhash"]
    post = alice.status_post("Quarterly numbers are in #payments", media_ids=[media["id"]])
    assert post["media_attachments"][0]["description"] == "The dashboard"
    assert [t["name"] for t in post["tags"]] == ["payments"]

    # Colleagues reply, boost, favourite and bookmark.
    reply = bob.status_post("@alice great work", in_reply_to_id=post["id"])
    assert carol.status_reblog(post["id"])["reblog"]["id"] == post["id"]
    assert bob.status_favourite(post["id"])["favourited"] is True
    assert carol.status_bookmark(post["id"])["bookmarked"] is True
    assert [s["id"] for s in carol.bookmarks()] == [post["id"]]
    context = alice.status_context(post["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]

    # Alice fixes a typo; the history keeps both versions.
    edited = alice.status_update(post["id"], status="Quarterly numbers are in! #payments")
    assert edited["edited_at"] is not None
    assert len(alice.status_history(post["id"])) == 2

    # Notifications: a follow, a mention, a boost, a favourite.
    kinds = {n["type"] for n in alice.notifications()}
    assert {"follow", "mention", "reblog", "favourite"} <= kinds
    newest = alice.notifications(limit=1)[0]
    alice.markers_set(["notifications"], [newest["id"]])
    assert str(alice.markers_get(["notifications"])["notifications"]["last_read_id"]) == str(
        newest["id"]
    )

    # Bob's home timeline, paged two at a time, forward and back.
    for n in range(5):
        alice.status_post(f"update {n}")
    first = bob.timeline_home(limit=2)
    second = bob.fetch_next(first)
    assert second and all(s["id"] < first[-1]["id"] for s in second)
    back = bob.fetch_previous(second)
    assert [s["id"] for s in back] == [s["id"] for s in first]

    # Search finds the post and the colleague.
    found = carol.search_v2("quarterly", result_type="statuses")
    assert [s["id"] for s in found["statuses"]] == [post["id"]]
    assert [a["acct"] for a in carol.search_v2("ali", result_type="accounts")["accounts"]] == [
        "alice"
    ]

    # Evening: a post is deleted and comes back as the source for a redraft.
    oops = alice.status_post("wrong channel")
    deleted = alice.status_delete(oops["id"])
    assert deleted["text"] == "wrong channel"
    with pytest.raises(MastodonNotFoundError):
        bob.status(oops["id"])

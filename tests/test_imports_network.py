"""Imports between live nodes: a member of `a.test` brings a Mastodon following list naming
accounts on `b.test` and `c.test` (the other nodes receive the Follows), and an archive of
posts in Mastodon's layout (imported quietly: no notification, no home feed, no delivery)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import requests
from mastodon import Mastodon
from PIL import Image

from tests.federation_network import Network
from tests.live import LiveNode
from tests.test_imports_api import FOLLOWING_HEADER, bearer, run_import, start_import

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OLD = "https://old.example/users/alice"


def api(node: LiveNode, username: str) -> tuple[Mastodon, str]:
    token = node.token(node.member(username))
    return node.mastodon(token, version_check_mode="none"), token


def count(node: LiveNode, query: str, *args: Any) -> int:
    found: int = node.with_conn(lambda conn: conn.fetchval(query, *args))
    return found


def test_following_list_with_remote_accounts_sends_follows_and_overwrite_undoes_them(
    network: Network,
) -> None:
    a, b, c = network["a.test"], network["b.test"], network["c.test"]
    _, token = api(a, "alice")
    api(a, "dave")
    bob, _ = api(b, "bob")
    carl, _ = api(c, "carl")

    # Given a Mastodon following export naming accounts here, on partners and elsewhere
    text = (
        FOLLOWING_HEADER
        + "bob@b.test,false,true,en\n"
        + "carl@c.test,true,false,\n"
        + "ghost@b.test,true,false,\n"
        + "dave@a.test,true,true,\n"
        + "someone@x.example,true,false,\n"
    )
    started = start_import(a, token, "following", text)
    assert started.status_code == 202, started.text
    network.settle()
    result = requests.get(
        f"{a.base_url}/api/v1/rukun/imports/{started.json()['id']}",
        headers=bearer(token),
        timeout=30,
    ).json()

    # Then the partners' accounts and the local one are followed, with the file's options
    assert result["state"] == "finished"
    assert (result["processed_items"], result["failed_items"]) == (5, 2)
    assert result["errors"] == [
        "line 4: there is no account ghost@b.test",
        "line 6: x.example is not allowed by this node's federation policy",
    ]
    follows = a.with_conn(
        lambda conn: conn.fetch(
            """SELECT t.username, t.domain, f.show_reblogs, f.notify, f.languages
               FROM follows f JOIN accounts t ON t.id = f.target_account_id
               JOIN accounts s ON s.id = f.account_id WHERE s.username = 'alice'
               ORDER BY t.username"""
        )
    )
    assert [tuple(row) for row in follows] == [
        ("bob", "b.test", False, True, ["en"]),
        ("carl", "c.test", True, False, None),
        ("dave", None, True, True, None),
    ]
    # And the other nodes received the Follows: alice is among their members' followers
    bob_id = bob.account_verify_credentials()["id"]
    assert [f["acct"] for f in bob.account_followers(bob_id)] == ["alice@a.test"]
    carl_id = carl.account_verify_credentials()["id"]
    assert [f["acct"] for f in carl.account_followers(carl_id)] == ["alice@a.test"]

    # And what bob posts reaches alice's home, until she imports a block of his domain
    alice = a.mastodon(token, version_check_mode="none")
    posted = bob.status_post("Hello from b")
    network.settle()
    assert [s["uri"] for s in alice.timeline_home()] == [posted["uri"]]
    run_import(a, token, "domain_blocking", "#domain\nb.test\n")
    assert alice.timeline_home() == []

    # When the list is overwritten with carl alone
    run_import(a, token, "following", "carl@c.test\n", mode="overwrite")
    network.settle()

    # Then bob's node hears the Undo, and carl is still followed
    assert bob.account_followers(bob_id) == []
    assert [f["acct"] for f in carl.account_followers(carl_id)] == ["alice@a.test"]


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def note(number: int, published: str, **fields: Any) -> dict[str, Any]:
    """A Create as Mastodon's BackupService writes it (the item's `@context` removed)."""
    uri = f"{OLD}/statuses/{number}"
    post = {
        "id": uri,
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": published,
        "url": f"https://old.example/@alice/{number}",
        "attributedTo": OLD,
        "to": [PUBLIC],
        "cc": [f"{OLD}/followers"],
        "sensitive": False,
        "atomUri": uri,
        "content": f"<p>Old post {number}</p>",
        "contentMap": {"en": f"<p>Old post {number}</p>"},
        "attachment": [],
        "tag": [],
        **fields,
    }
    return {
        "id": f"{uri}/activity",
        "type": "Create",
        "actor": OLD,
        "published": published,
        "to": post["to"],
        "cc": post["cc"],
        "object": post,
    }


PROOF = {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "verificationMethod": f"{OLD}#ed25519-key",
    "proofPurpose": "assertionMethod",
    "proofValue": "z3sXaxjKs4M3BRicwWA9peyNPJvJqxtGsDmRBKsyMKjgKnJfh6oGj2Hgp1ZaPHNxb",
    "created": "2020-01-02T03:04:05Z",
}
MEDIA_PATH = "media_attachments/files/103/441/109/558/081/479/original/4a5f3b.png"


def archive() -> bytes:
    items = [
        note(
            1,
            "2020-01-02T03:04:05Z",
            content='<p>First day <a href="https://old.example/tags/history">#history</a></p>',
            attachment=[
                {
                    "type": "Document",
                    "mediaType": "image/png",
                    "url": MEDIA_PATH,
                    "name": "A red square",
                    "blurhash": "UEO{GV~q_3M{",
                    "width": 64,
                    "height": 48,
                }
            ],
            tag=[
                {"type": "Hashtag", "href": "https://old.example/tags/history", "name": "#history"}
            ],
            proof=PROOF,
        ),
        note(2, "2020-01-03T10:00:00Z", inReplyTo=f"{OLD}/statuses/1", to=[], cc=[PUBLIC]),
        note(3, "2020-02-01T12:00:00Z", inReplyTo="https://elsewhere.example/notes/9"),
        note(4, "2020-02-02T12:00:00Z", to=[f"{OLD}/followers"], cc=[]),
        note(5, "2020-02-03T12:00:00Z", to=["https://elsewhere.example/users/x"], cc=[]),
        {
            "id": f"{OLD}/statuses/6/activity",
            "type": "Announce",
            "actor": OLD,
            "published": "2020-02-04T12:00:00Z",
            "to": [PUBLIC],
            "object": "https://elsewhere.example/notes/10",
        },
        "a broken item",
    ]
    outbox = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }
    actor = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": OLD,
        "type": "Person",
        "preferredUsername": "alice",
        "outbox": "outbox.json",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("actor.json", json.dumps(actor))
        zipped.writestr("outbox.json", json.dumps(outbox))
        zipped.writestr(MEDIA_PATH, png())
    return buffer.getvalue()


def import_archive(node: LiveNode, token: str, network: Network) -> dict[str, Any]:
    response = requests.post(
        f"{node.base_url}/api/v1/rukun/imports",
        headers=bearer(token),
        files={"data": ("archive-20240101.zip", archive(), "application/zip")},
        data={"type": "posts"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    network.settle()
    result: dict[str, Any] = requests.get(
        f"{node.base_url}/api/v1/rukun/imports/{response.json()['id']}",
        headers=bearer(token),
        timeout=30,
    ).json()
    return result


def test_an_archive_becomes_the_members_history_quietly(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, token = api(a, "alice")
    dave, _ = api(a, "dave")
    bob, _ = api(b, "bob")
    alice_id = alice.account_verify_credentials()["id"]
    # Given followers here and on b.test, and a post alice made on this node already
    dave.account_follow(alice_id)
    (found,) = bob.search_v2("@alice@a.test", resolve=True, result_type="accounts")["accounts"]
    bob.account_follow(found["id"])
    network.settle()
    earlier = alice.status_post("Hello from my new node")
    network.settle()
    before = {
        "deliveries": count(a, "SELECT count(*) FROM deliveries"),
        "notifications": count(a, "SELECT count(*) FROM notifications"),
        "home": count(a, "SELECT count(*) FROM home_feed"),
        "b_statuses": count(b, "SELECT count(*) FROM statuses"),
    }

    # When alice imports her archive
    result = import_archive(a, token, network)

    # Then three posts are imported; the others are skipped or reported
    assert result["state"] == "finished"
    assert result["total_items"] == 7
    assert (result["imported_items"], result["skipped_items"], result["failed_items"]) == (3, 3, 1)
    assert result["errors"] == [
        f"item 4: {OLD}/statuses/4 is followers-only or direct, not imported",
        f"item 5: {OLD}/statuses/5 is followers-only or direct, not imported",
        "item 6: a boost of someone else's post, not imported",
        "item 7: not a JSON object",
    ]
    statuses = requests.get(
        f"{a.base_url}/api/v1/accounts/{alice_id}/statuses",
        headers=bearer(token),
        timeout=30,
    ).json()
    assert [s["content"][:30] for s in statuses[1:]] == [
        "<p>Old post 3</p><p>In reply t",
        "<p>Old post 2</p>",
        '<p>First day <a href="https://',
    ]
    newest, third, second, first = statuses
    assert newest["id"] == str(earlier["id"])
    assert [s["created_at"] for s in (third, second, first)] == [
        "2020-02-01T12:00:00.000Z",
        "2020-01-03T10:00:00.000Z",
        "2020-01-02T03:04:05.000Z",
    ]
    # With provenance, the visibility the archive gave, threads kept, a link to a lost parent
    assert first["rukun"]["imported_from"] == {
        "uri": f"{OLD}/statuses/1",
        "published": "2020-01-02T03:04:05.000Z",
        "origin": OLD,
        # Its proof is kept, but made-up: no key of actor.json verifies it
        "verified": False,
    }
    assert "imported_from" not in newest["rukun"]
    assert (first["visibility"], second["visibility"]) == ("public", "unlisted")
    assert second["in_reply_to_id"] == first["id"]
    assert third["in_reply_to_id"] is None
    assert 'href="https://elsewhere.example/notes/9"' in third["content"]
    assert [t["name"] for t in first["tags"]] == ["history"]
    # Media re-processed here, served by this node
    (media,) = first["media_attachments"]
    assert (media["type"], media["description"]) == ("image", "A red square")
    served = requests.get(a.base_url + "/" + media["url"].split("/", 3)[3], timeout=30)
    assert served.status_code == 200
    assert Image.open(io.BytesIO(served.content)).size == (64, 48)
    # The FEP-8b32 proof is kept as it came
    proof = count(
        a, "SELECT proof FROM status_imports WHERE original_uri = $1", f"{OLD}/statuses/1"
    )
    assert proof == PROOF
    # Older ids than the post made before: no live timeline gets them on top
    assert all(int(s["id"]) < int(earlier["id"]) for s in (first, second, third))
    assert alice.account_verify_credentials()["statuses_count"] == 4

    # And nobody heard of it: no notification, no home feed row, no delivery, nothing on b
    after = {
        "deliveries": count(a, "SELECT count(*) FROM deliveries"),
        "notifications": count(a, "SELECT count(*) FROM notifications"),
        "home": count(a, "SELECT count(*) FROM home_feed"),
        "b_statuses": count(b, "SELECT count(*) FROM statuses"),
    }
    assert after == before
    assert [s["id"] for s in dave.timeline_home()] == [earlier["id"]]

    # When the same archive is imported again, nothing is added
    again = import_archive(a, token, network)
    assert (again["imported_items"], again["skipped_items"], again["failed_items"]) == (0, 6, 1)
    assert f"item 1: {OLD}/statuses/1 was imported before" in again["errors"]
    assert alice.account_verify_credentials()["statuses_count"] == 4
    assert count(a, "SELECT count(*) FROM status_imports") == 3

"""Articles between live nodes: an article written on a.test reaches a follower on b.test
whole — title, summary and the full body, its HTML cleaned again on arrival — shows there
in Mastodon apps as title, summary and link, and a comment from b.test threads under it on
both nodes. Edits and deletes travel as for any status."""

from __future__ import annotations

from typing import Any

import asyncpg
import requests
from mastodon import Mastodon

from tests.federation_network import Network
from tests.live import LiveNode
from tests.test_outbox_network import api, copy_of, follow

BODY = "## Plan\n\nShip the **beta** in May.\n\n- tests\n- docs\n"


def article_of(node: LiveNode, reader: Mastodon, status_id: str) -> dict[str, Any]:
    response = requests.get(
        f"{node.base_url}/api/v1/rukun/articles/{status_id}",
        headers={"Authorization": f"Bearer {reader.access_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def spoil_outgoing(node: LiveNode) -> None:
    """Put hostile HTML into the queued Create, as a node that does not clean its HTML would
    send it: the receiving node must clean it itself."""

    async def spoil(conn: asyncpg.Connection) -> str:
        changed: str = await conn.execute(
            """UPDATE deliveries SET payload = jsonb_set(payload, '{object,content}',
                   to_jsonb((payload #>> '{object,content}')
                            || '<script>alert(1)</script><img src=x onerror=alert(1)>'
                            || '<a href="javascript:alert(1)">x</a>'))
               WHERE state = 'queued' AND payload->>'type' = 'Create'"""
        )
        return changed

    assert node.with_conn(spoil) == "UPDATE 1"


def test_an_article_reaches_a_follower_whole_and_comments_thread_on_both_nodes(
    network: Network,
) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    follow(bob, "@alice@a.test")
    network.settle()

    # When alice writes an article
    response = requests.post(
        f"{a.base_url}/api/v1/rukun/articles",
        headers={"Authorization": f"Bearer {alice.access_token}"},
        json={"title": "Beta plan", "summary": "Dates and owners", "body": BODY},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    status = response.json()
    spoil_outgoing(a)
    network.settle()

    # Then bob's node has it, shown to apps as title, summary and a link to read it there
    copy = copy_of(bob, status["uri"])
    assert copy is not None
    assert copy["url"] == status["url"] == f"http://a.test/@alice/articles/{status['id']}"
    page = f"http://b.test/@alice@a.test/articles/{copy['id']}"
    assert copy["content"] == (
        "<p><strong>Beta plan</strong></p><p>Dates and owners</p>"
        f'<p><a href="{page}">Read the article</a></p>'
    )
    assert copy["rukun"]["kind"] == "article" and copy["spoiler_text"] == ""

    # ... with the full body, cleaned, and no Markdown source (that stays with the author)
    whole = article_of(b, bob, copy["id"])
    assert (whole["title"], whole["summary"]) == ("Beta plan", "Dates and owners")
    assert whole["body_markdown"] is None
    html = whole["content_html"]
    assert "<h2>Plan</h2>" in html and "<strong>beta</strong>" in html
    assert "<li>tests</li>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html

    # When bob comments through his Mastodon app
    comment = bob.status_post("Count me in for docs", in_reply_to_id=copy["id"])
    network.settle()

    # Then it threads under the article on both nodes
    assert [s["id"] for s in bob.status_context(copy["id"])["descendants"]] == [comment["id"]]
    theirs = alice.status_context(status["id"])["descendants"]
    assert [s["uri"] for s in theirs] == [comment["uri"]]
    assert "Count me in for docs" in theirs[0]["content"]
    assert alice.status(status["id"])["replies_count"] == 1

    # An edit of the article reaches b.test whole, and so does the delete
    edited = requests.put(
        f"{a.base_url}/api/v1/rukun/articles/{status['id']}",
        headers={"Authorization": f"Bearer {alice.access_token}"},
        json={"title": "Beta plan (final)", "body": BODY + "\nShip it.\n"},
        timeout=30,
    )
    assert edited.status_code == 200, edited.text
    network.settle()
    whole = article_of(b, bob, copy["id"])
    assert whole["title"] == "Beta plan (final)" and whole["summary"] == "Dates and owners"
    assert "<p>Ship it.</p>" in whole["content_html"]
    assert len(bob.status_history(copy["id"])) == 2
    alice.status_delete(status["id"])
    network.settle()
    assert copy_of(bob, status["uri"]) is None


def test_an_internal_article_stays_on_its_node(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    alice, bob = api(a, "alice"), api(b, "bob")
    follow(bob, "@alice@a.test")
    network.settle()

    response = requests.post(
        f"{a.base_url}/api/v1/rukun/articles",
        headers={"Authorization": f"Bearer {alice.access_token}"},
        json={"title": "Staff only", "body": BODY, "visibility": "local"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    network.settle()

    kinds = a.with_conn(
        lambda conn: conn.fetchval("SELECT array_agg(payload->>'type') FROM deliveries")
    )
    assert kinds == ["Accept"]  # bob's follow answered, nothing else
    assert copy_of(bob, response.json()["uri"]) is None

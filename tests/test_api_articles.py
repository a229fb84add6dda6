"""Articles through the client API against a live node: writing one in Markdown, reading it
whole, editing it with history, listing them, and how Mastodon apps (Mastodon.py) see it — a
status with the title, the summary and a link to the article page. Bad input gets Mastodon's
422 and stores nothing; an internal article never queues a delivery."""

from __future__ import annotations

from typing import Any

from tests.inbox_helpers import remote_actor
from tests.live import LiveNode
from tests.status_helpers import add_media, client, follow, raw, row_counts, scalar

ARTICLES = "/api/v1/rukun/articles"
BODY = """## What we learned

Some *emphasis*, a [link](https://example.com/docs) and code:

```
make deploy
```

- first
- second

> quoted

<script>alert("x")</script> [bad](javascript:alert(1))
"""


def post_article(node: LiveNode, token: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Launch review", "summary": "What went well", "body": BODY, **fields}
    response = raw(node, "POST", ARTICLES, token, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_write_read_and_list_an_article(live_node: LiveNode) -> None:
    # Given
    alice, bob = live_node.member("alice"), live_node.member("bob")
    token = live_node.token(alice)
    image = add_media(live_node, alice, description="the chart")
    key = scalar(live_node, "SELECT file_key FROM media_attachments WHERE id = $1", image)

    # When alice writes an article with an image from her uploads
    status = post_article(
        live_node, token, body=BODY + f"\n![the chart](media:{image})\n", language="en"
    )

    # Then the answer is the Status entity apps know: title, summary, a link to the page
    site = live_node.config.site
    page = f"{site.base_url}/@alice/articles/{status['id']}"
    assert status["url"] == page
    assert status["content"] == (
        f'<p><strong>Launch review</strong></p><p>What went well</p><p><a href="{page}">'
        "Read the article</a></p>"
    )
    assert status["rukun"] == {
        "visibility": "public",
        "kind": "article",
        "title": "Launch review",
        "summary": "What went well",
    }
    assert status["spoiler_text"] == "" and status["language"] == "en"
    assert [m["id"] for m in status["media_attachments"]] == [str(image)]

    # Mastodon.py reads it as any status
    seen = client(live_node, bob).status(status["id"])
    assert seen.content == status["content"] and seen.url == page

    # The article itself: the Markdown source and the whole body, safe
    whole = raw(live_node, "GET", f"{ARTICLES}/{status['id']}", live_node.token(bob)).json()
    assert whole["title"] == "Launch review" and whole["summary"] == "What went well"
    assert whole["body_markdown"] == (BODY + f"\n![the chart](media:{image})\n").strip()
    html = whole["content_html"]
    assert "<h2>What we learned</h2>" in html
    assert "<em>emphasis</em>" in html
    assert '<a href="https://example.com/docs"' in html
    assert "<pre><code>make deploy" in html
    assert "<li>first</li>" in html and "<blockquote>" in html
    assert f'<img src="{site.media_url(key)}" alt="the chart">' in html
    assert "<script" not in html and "javascript:" not in html.replace("(javascript:", "")
    assert 'href="javascript' not in html
    assert whole["status"]["id"] == status["id"]

    # Listed, newest first, by author
    second = post_article(live_node, token, title="Second", summary="")
    listed = raw(live_node, "GET", f"{ARTICLES}?account_id={alice.account.id}", token).json()
    assert [a["status"]["id"] for a in listed] == [second["id"], status["id"]]
    older = raw(live_node, "GET", f"{ARTICLES}?max_id={second['id']}", token).json()
    assert [a["status"]["id"] for a in older] == [status["id"]]
    none = raw(live_node, "GET", f"{ARTICLES}?account_id={bob.account.id}", token).json()
    assert none == []

    # A note is not an article
    note = client(live_node, alice).status_post("just a note")
    missing = raw(live_node, "GET", f"{ARTICLES}/{note.id}", token)
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})


def test_edit_an_article_with_history(live_node: LiveNode) -> None:
    alice, bob = live_node.member("alice"), live_node.member("bob")
    token = live_node.token(alice)
    api = client(live_node, alice)
    status = post_article(live_node, token, body="First *draft*")

    # When alice edits title, summary and body
    response = raw(
        live_node,
        "PUT",
        f"{ARTICLES}/{status['id']}",
        token,
        json={"title": "Launch review, final", "summary": "All done", "body": "Final **text**"},
    )

    # Then
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["edited_at"] is not None
    assert edited["rukun"]["title"] == "Launch review, final"
    assert "<strong>Launch review, final</strong>" in edited["content"]
    whole = raw(live_node, "GET", f"{ARTICLES}/{status['id']}", token).json()
    assert (whole["body_markdown"], whole["summary"]) == ("Final **text**", "All done")
    assert "<strong>text</strong>" in whole["content_html"]
    history = api.status_history(status["id"])
    assert len(history) == 2
    assert "<strong>Launch review</strong>" in history[0].content
    assert "<em>draft</em>" in history[0].content
    assert "<strong>Launch review, final</strong>" in history[1].content
    assert "<p>All done</p>" in history[1].content
    assert api.status_source(status["id"]).text == "Final **text**"

    # An app editing it as a status edits the Markdown body and keeps the title
    again = api.status_update(status["id"], "Edited in an app")
    assert again.rukun["title"] == "Launch review, final"
    whole = raw(live_node, "GET", f"{ARTICLES}/{status['id']}", token).json()
    assert whole["content_html"] == "<p>Edited in an app</p>\n"
    assert len(api.status_history(status["id"])) == 3

    # Only the author edits; to others it is not there
    other = raw(
        live_node,
        "PUT",
        f"{ARTICLES}/{status['id']}",
        live_node.token(bob),
        json={"title": "Mine now", "body": "x"},
    )
    assert (other.status_code, other.json()) == (404, {"error": "Record not found"})


def test_comments_favourites_and_deletes_work_as_for_statuses(live_node: LiveNode) -> None:
    alice, bob = live_node.member("alice"), live_node.member("bob")
    status = post_article(live_node, live_node.token(alice))
    b = client(live_node, bob)

    comment = b.status_post("Great write-up", in_reply_to_id=status["id"])
    b.status_favourite(status["id"])

    context = b.status_context(status["id"])
    assert [s.id for s in context.descendants] == [comment.id]
    assert b.status(status["id"]).favourites_count == 1
    assert b.status(status["id"]).replies_count == 1
    found = b.search_v2("Launch review", result_type="statuses")["statuses"]
    assert [s.id for s in found] == [status["id"]]

    client(live_node, alice).status_delete(status["id"])
    gone = raw(live_node, "GET", f"{ARTICLES}/{status['id']}", live_node.token(bob))
    assert gone.status_code == 404


def test_bad_articles_answer_422_and_store_nothing(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice)
    before = row_counts(live_node)
    cases = [
        ({"title": "", "body": "text"}, "Validation failed: Title can't be blank"),
        ({"title": "T", "body": "  "}, "Validation failed: Body can't be blank"),
        (
            {"title": "T" * 201, "body": "x"},
            "Validation failed: Title is too long (maximum is 200)",
        ),
        (
            {"title": "T", "summary": "s" * 1001, "body": "x"},
            "Validation failed: Summary is too long (maximum is 1000)",
        ),
        (
            {"title": "T", "body": "![x](media:123)"},
            "Validation failed: a media attachment was not found",
        ),
        (
            {"title": "T", "body": "x", "visibility": "everyone"},
            "Validation failed: Visibility is not included in the list",
        ),
    ]
    for fields, error in cases:
        response = raw(live_node, "POST", ARTICLES, token, json=fields)
        assert (response.status_code, response.json()) == (422, {"error": error}), fields
    assert row_counts(live_node) == before
    anonymous = raw(live_node, "POST", ARTICLES, json={"title": "T", "body": "x"})
    assert anonymous.status_code == 401


def test_an_internal_article_never_queues_a_delivery(live_node: LiveNode) -> None:
    # Given alice has a follower on another node
    alice = live_node.member("alice")
    rita = live_node.with_conn(lambda conn: remote_actor(conn, "https://partner.test/users/rita"))
    live_node.with_conn(
        lambda conn: conn.execute(
            "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
            rita.id,
            alice.account.id,
        )
    )
    token = live_node.token(alice)

    # When she writes an internal article, edits it and deletes it
    status = post_article(live_node, token, visibility="local")
    raw(live_node, "PUT", f"{ARTICLES}/{status['id']}", token, json={"body": "changed"})
    client(live_node, alice).status_delete(status["id"])

    # Then nothing was queued for delivery; a public one is
    assert status["local_only"] is True and status["rukun"]["visibility"] == "local"
    assert scalar(live_node, "SELECT count(*) FROM deliveries") == 0
    post_article(live_node, token, visibility="public")
    assert scalar(live_node, "SELECT count(*) FROM deliveries") == 1


def test_a_customer_does_not_see_an_internal_article(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    carol = live_node.member("carol", role="customer")
    follow(live_node, carol, alice)
    status = post_article(live_node, live_node.token(alice), visibility="local")
    hidden = raw(live_node, "GET", f"{ARTICLES}/{status['id']}", live_node.token(carol))
    assert (hidden.status_code, hidden.json()) == (404, {"error": "Record not found"})
    listed = raw(live_node, "GET", ARTICLES, live_node.token(carol)).json()
    assert listed == []

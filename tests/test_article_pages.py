"""The article pages: an article whole with its comments, and a member's list of articles.
Signed-in members only (others are sent to sign in); a viewer who may not see the article
(a customer and an internal one) finds nothing there; everything shown is escaped or
sanitised, and the page carries no script."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.site import Site
from content.compose import Draft
from content.remote_statuses import RemoteDraft, insert_remote_status
from outbox.posting import do_post
from tests.conftest import MakeMember
from tests.inbox_helpers import remote_actor
from tests.test_signin import sign_in, start_browser
from web.config import WebConfig


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def signed_in_as(browser: TestClient, login: str) -> None:
    browser.session.cookie_jar.clear()
    response = await sign_in(browser, login)
    assert response.status == 303, await response.text()


async def test_a_member_reads_an_article_with_its_comments(
    browser: TestClient, conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    # Given alice's article, with a comment by bob, and a note that is not an article
    alice = await make_member("alice", display_name="Alice <Admin>")
    bob = await make_member("bob")
    article = await do_post(
        conn,
        site,
        alice.account.id,
        Draft(
            kind="article",
            title="Q3 <review> & plans",
            summary="What we <learned>",
            text="## Highlights\n\n<script>alert(1)</script>\n\n- one\n- two",
        ),
    )
    comment = await do_post(
        conn,
        site,
        bob.account.id,
        Draft(text="Thanks, <b>great</b> read", in_reply_to_id=article.id),
    )
    note = await do_post(conn, site, alice.account.id, Draft(text="a note"))
    path = f"/@alice/articles/{article.id}"

    # Without a session: sent to sign in
    anonymous = await browser.get(path, allow_redirects=False)
    assert anonymous.status == 302
    assert anonymous.headers["Location"].startswith("/auth/sign_in?next=")

    # When bob reads it
    await signed_in_as(browser, "bob")
    response = await browser.get(path)

    # Then: title, author, summary, the whole body and the comment, all escaped or clean
    assert response.status == 200
    page = await response.text()
    assert '<h1 id="article-title">Q3 &lt;review&gt; &amp; plans</h1>' in page
    assert "Alice &lt;Admin&gt;" in page
    assert "What we &lt;learned&gt;" in page
    assert "<h2>Highlights</h2>" in page and "<li>one</li>" in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f'id="comment-{comment.id}"' in page
    assert "Thanks, &lt;b&gt;great&lt;/b&gt; read" in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]

    # The list of alice's articles links to it
    listing = await browser.get("/@alice/articles")
    assert listing.status == 200
    listed = await listing.text()
    assert f'href="{path}"' in listed and "Q3 &lt;review&gt; &amp; plans" in listed

    # Under another author's name, as a note, or unknown: not found
    for wrong in (
        f"/@bob/articles/{article.id}",
        f"/@alice/articles/{note.id}",
        "/@alice/articles/999999",
        "/@alice/articles/x",
        "/@nobody/articles",
    ):
        assert (await browser.get(wrong)).status == 404, wrong


async def test_an_article_the_viewer_may_not_see_is_not_found(
    browser: TestClient, conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = await make_member("alice")
    await make_member("carol", role="customer")
    internal = await do_post(
        conn,
        site,
        alice.account.id,
        Draft(kind="article", title="Staff only", text="Internal", visibility="local"),
    )
    shared = await do_post(
        conn, site, alice.account.id, Draft(kind="article", title="For everyone", text="Hi")
    )

    await signed_in_as(browser, "carol")

    assert (await browser.get(f"/@alice/articles/{internal.id}")).status == 404
    assert (await browser.get(f"/@alice/articles/{shared.id}")).status == 200
    listed = await (await browser.get("/@alice/articles")).text()
    assert "For everyone" in listed and "Staff only" not in listed


async def test_another_nodes_article_is_read_whole_here(
    browser: TestClient, conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    # Given an article from another node, kept whole
    await make_member("bob")
    author = await remote_actor(conn, "https://blog.example/users/wanda", username="wanda")
    stored = await insert_remote_status(
        conn,
        RemoteDraft(
            uri="https://blog.example/articles/1",
            url="https://blog.example/articles/1",
            account_id=author.id,
            visibility="public",
            kind="article",
            title="Field notes",
            summary="<p>From the <b>road</b></p>",
            content="<h2>Day one</h2><p>Long text</p><script>alert(1)</script>",
        ),
    )
    assert stored is not None

    await signed_in_as(browser, "bob")
    response = await browser.get(f"/@wanda@blog.example/articles/{stored.id}")

    assert response.status == 200
    page = await response.text()
    assert "Field notes" in page and "From the road" in page
    assert "<h2>Day one</h2><p>Long text</p>" in page and "<script" not in page
    assert (await browser.get(f"/@wanda/articles/{stored.id}")).status == 404

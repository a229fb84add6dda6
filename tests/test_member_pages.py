"""The members' pages with a cookie-keeping test client: posting from the compose form,
who sees what, the status actions, following, the directory's rules, articles, settings,
the password change that signs out everyone else, and CSRF on every new form."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from actors.credentials import authenticate_token, do_create_token
from content.compose import Draft
from outbox.groups import do_create_group
from outbox.posting import do_post
from tests.conftest import MakeMember
from tests.test_signin import PASSWORD, TOKEN_FIELD, signed_in, start_browser
from web.config import WebConfig


@pytest.fixture
def media_config(web_config: WebConfig, tmp_path: Path) -> WebConfig:
    return replace(web_config, media_root=tmp_path / "media", max_body_bytes=1_048_576)


@pytest.fixture
async def open_browser(
    media_config: WebConfig, pool: asyncpg.Pool
) -> AsyncIterator[list[TestClient]]:
    """Browsers on demand (`await new_browser()`), each with its own cookies."""
    opened: list[TestClient] = []
    yield opened
    for client in opened:
        await client.close()


async def browser_for(
    opened: list[TestClient], config: WebConfig, pool: asyncpg.Pool, login: str
) -> TestClient:
    client = await start_browser(config, pool)
    opened.append(client)
    await signed_in(client, login)
    return client


async def token_on(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    match = TOKEN_FIELD.search(await response.text())
    assert match is not None
    return html.unescape(match.group(1))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def compose_form(token: str, text: str, visibility: str, **extra: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("authenticity_token", token)
    form.add_field("status", text)
    form.add_field("visibility", visibility)
    for name, value in extra.items():
        form.add_field(name, value)
    return form


async def test_an_internal_post_with_an_image_from_the_form(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    # Given an employee, a colleague and a customer
    await make_member("alice")
    await make_member("bob")
    await make_member("carol", role="customer")
    alice = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(alice, "/")
    assert "Internal (only employees of this node)" in await (await alice.get("/")).text()
    # When alice posts an internal post with an image and its description
    form = compose_form(token, "Quarterly numbers are in", "local")
    form.add_field("image_1", png(), filename="chart.png", content_type="image/png")
    form.add_field("description_1", "A bar chart <b>rising</b>")
    posted = await alice.post("/compose", data=form, allow_redirects=False)
    # Then she is sent back home, and the post is stored internal with its image
    assert posted.status == 303, await posted.text()
    row = await conn.fetchrow(
        "SELECT id, visibility FROM statuses WHERE text = 'Quarterly numbers are in'"
    )
    assert row["visibility"] == "local"
    description = await conn.fetchval(
        "SELECT description FROM media_attachments WHERE status_id = $1", row["id"]
    )
    assert description == "A bar chart <b>rising</b>"
    bob = await browser_for(open_browser, media_config, pool, "bob")
    page = await (await bob.get(f"/@alice/{row['id']}")).text()
    assert "Quarterly numbers are in" in page
    assert 'alt="A bar chart &lt;b&gt;rising&lt;/b&gt;"' in page
    carol = await browser_for(open_browser, media_config, pool, "carol")
    hidden = await carol.get(f"/@alice/{row['id']}")
    assert hidden.status == 404
    home = await (await carol.get("/")).text()
    assert "Internal (only employees" not in home  # customers cannot post internally


async def test_compose_refuses_without_the_csrf_token(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    await make_member("alice")
    alice = await browser_for(open_browser, media_config, pool, "alice")
    for path, data in [
        ("/compose", compose_form("", "forged", "public")),
        ("/compose", {"status": "forged", "visibility": "public"}),
        ("/settings/preferences", {"default_visibility": "public"}),
        ("/articles/new", {"title": "t", "body": "b", "visibility": "public"}),
        ("/web/accounts/1/follow", {}),
        ("/web/statuses/1/favourite", {}),
    ]:
        response = await alice.post(path, data=data, allow_redirects=False)
        assert response.status == 403, path
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 0


async def test_thread_actions_and_reply(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    alice_member = await make_member("alice")
    await make_member("bob")
    first = await do_post(conn, media_config.site, alice_member.account.id, Draft(text="Hello"))
    bob = await browser_for(open_browser, media_config, pool, "bob")
    token = await token_on(bob, f"/@alice/{first.id}")
    # A reply from the thread page, then a favourite and a bookmark.
    form = compose_form(token, "@alice Hello back", "public", in_reply_to_id=str(first.id))
    form.add_field("next", f"/@alice/{first.id}")
    replied = await bob.post("/compose", data=form, allow_redirects=False)
    assert replied.status == 303
    assert replied.headers["Location"].startswith(f"/@alice/{first.id}#status-")
    for action in ("favourite", "bookmark", "reblog"):
        done = await bob.post(
            f"/web/statuses/{first.id}/{action}",
            data={"authenticity_token": token, "next": f"/@alice/{first.id}"},
            allow_redirects=False,
        )
        assert done.status == 303
        assert done.headers["Location"] == f"/@alice/{first.id}"
    assert await conn.fetchval("SELECT count(*) FROM favourites WHERE status_id = $1", first.id)
    assert await conn.fetchval("SELECT count(*) FROM bookmarks WHERE status_id = $1", first.id)
    page = await (await bob.get(f"/@alice/{first.id}")).text()
    assert "Hello back" in page and "Hello" in page
    assert 'aria-pressed="true">Favourited' in page
    reply_id = await conn.fetchval("SELECT id FROM statuses WHERE in_reply_to_id = $1", first.id)
    reply_page = await (await bob.get(f"/@bob/{reply_id}")).text()
    assert reply_page.index("Hello</p>") < reply_page.index("Hello back")
    # Off-site `next` is not followed.
    evil = await bob.post(
        f"/web/statuses/{first.id}/unfavourite",
        data={"authenticity_token": token, "next": "//evil.example/"},
        allow_redirects=False,
    )
    assert evil.headers["Location"] == "/"
    assert (await bob.get("/@alice/999999")).status == 404
    # The status's ActivityPub id, opened in a browser, leads to this page.
    opened = await bob.get(
        f"/users/alice/statuses/{first.id}", headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert opened.status == 302
    assert opened.headers["Location"].endswith(f"/@alice/{first.id}")


async def test_home_feed_fragment_and_paging(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    alice = await make_member("alice")
    client = await browser_for(open_browser, media_config, pool, "alice")
    posts = [
        await do_post(conn, media_config.site, alice.account.id, Draft(text=f"Post number {i}"))
        for i in range(23)
    ]
    home = await (await client.get("/")).text()
    assert "Post number 22" in home and "Post number 2<" not in home
    assert f'href="/?max_id={posts[3].id}"' in home
    older = await (await client.get(f"/?max_id={posts[3].id}")).text()
    assert "Post number 2</p>" in older and "Post number 22" not in older
    fragment = await client.get(f"/web/fragments/home?since_id={posts[20].id}")
    text = await fragment.text()
    assert "Post number 22" in text and "Post number 21" in text and "Post number 20" not in text
    assert fragment.headers["X-Newest-Id"] == str(posts[22].id)
    assert "<html" not in text


async def test_follow_from_a_profile_and_the_directory_rules(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    await make_member("alice")
    bob = await make_member("bob")
    await conn.execute("UPDATE accounts SET department = 'Finance' WHERE id = $1", bob.account.id)
    await make_member("carol", role="customer")
    await make_member("dave", role="customer")
    alice = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(alice, "/@bob")
    followed = await alice.post(
        f"/web/accounts/{bob.account.id}/follow",
        data={"authenticity_token": token, "next": "/@bob"},
        allow_redirects=False,
    )
    assert followed.status == 303
    assert "Unfollow" in await (await alice.get("/@bob")).text()
    found = await (await alice.get("/directory?department=finance")).text()
    assert "@bob" in found and "@carol" not in found
    carol = await browser_for(open_browser, media_config, pool, "carol")
    everyone = await (await carol.get("/directory")).text()
    assert "@alice" in everyone and "@dave" not in everyone
    assert (await carol.get("/@dave")).status == 404
    search = await (await carol.get("/search?q=dave")).text()
    assert "@dave" not in search


async def test_an_article_from_the_form_and_its_edit(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    await make_member("alice")
    alice = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(alice, "/articles/new")
    created = await alice.post(
        "/articles/new",
        data={
            "authenticity_token": token,
            "title": "Onboarding <script>x</script>",
            "summary": "How we start",
            "body": "# Day one\n\nRead **the handbook**.",
            "visibility": "local",
        },
        allow_redirects=False,
    )
    assert created.status == 303, await created.text()
    page = await (await alice.get(created.headers["Location"])).text()
    assert "<strong>the handbook</strong>" in page
    assert "Onboarding &lt;script&gt;" in page
    status_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert await conn.fetchval("SELECT visibility FROM statuses WHERE id = $1", status_id) == (
        "local"
    )
    edited = await alice.post(
        f"/@alice/articles/{status_id}/edit",
        data={"authenticity_token": token, "title": "Onboarding", "summary": "", "body": "New"},
        allow_redirects=False,
    )
    assert edited.status == 303
    assert await conn.fetchval("SELECT title FROM statuses WHERE id = $1", status_id) == (
        "Onboarding"
    )
    await make_member("bob")
    bob = await browser_for(open_browser, media_config, pool, "bob")
    assert (await bob.get(f"/@alice/articles/{status_id}/edit")).status == 404


async def test_settings_profile_and_the_password_change_signs_out_the_rest(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    member = await make_member("alice")
    app_token = await do_create_token(conn, member.user_id, "read write")
    first = await browser_for(open_browser, media_config, pool, "alice")
    second = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(first, "/settings")
    form = aiohttp.FormData()
    form.add_field("authenticity_token", token)
    form.add_field("display_name", "Alice <i>A</i>")
    form.add_field("note", "Bio <img src=x>")
    form.add_field("field_name_1", "<b>Team</b>")
    form.add_field("field_value_1", "Blue")
    form.add_field("department", "Finance")
    form.add_field("skills", "SQL, Python")
    saved = await first.post("/settings/profile", data=form, allow_redirects=False)
    assert saved.status == 303, await saved.text()
    profile = await (await first.get("/@alice")).text()
    assert "Alice &lt;i&gt;A&lt;/i&gt;" in profile and "<img src=x" not in profile
    assert "&lt;b&gt;Team&lt;/b&gt;" in profile and "SQL, Python" in profile
    settings = await (await first.get("/settings")).text()
    assert settings.count('action="/settings/sessions/end"') == 1  # the other browser
    # When alice changes her password in the first browser
    token = await token_on(first, "/auth/password")
    changed = await first.post(
        "/auth/password",
        data={
            "authenticity_token": token,
            "current_password": PASSWORD,
            "new_password": "a brand new secret",
            "password_confirmation": "a brand new secret",
        },
        allow_redirects=False,
    )
    assert changed.status == 303
    # Then the second browser and the app token are signed out; the first stays
    assert (await first.get("/", allow_redirects=False)).status == 200
    assert (await second.get("/", allow_redirects=False)).status == 302
    assert await authenticate_token(conn, app_token) is None


async def test_app_tokens_are_listed_and_revoked(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    member = await make_member("alice")
    app_token = await do_create_token(conn, member.user_id, "read")
    client = await browser_for(open_browser, media_config, pool, "alice")
    page = await (await client.get("/settings")).text()
    match = re.search(r'action="/settings/apps/(\d+)/revoke"', page)
    assert match is not None
    token = await token_on(client, "/settings")
    revoked = await client.post(
        f"/settings/apps/{match.group(1)}/revoke",
        data={"authenticity_token": token},
        allow_redirects=False,
    )
    assert revoked.status == 303
    assert await authenticate_token(conn, app_token) is None


async def test_remote_profiles_boosts_groups_and_follow_requests(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    site = media_config.site
    alice = await make_member("alice")
    bob = await make_member("bob")
    await conn.execute("UPDATE accounts SET locked = true WHERE id = $1", alice.account.id)
    remote = await conn.fetchrow(
        """INSERT INTO accounts (username, domain, display_name, note, public_key_pem, uri, url,
                                 inbox_url)
           VALUES ('zed', 'partner.example', 'Zed <b>Remote</b>', '<p>Hi <i>there</i></p>',
                   'PEM', 'https://partner.example/users/zed', 'https://partner.example/@zed',
                   'https://partner.example/users/zed/inbox')
           RETURNING id"""
    )
    group = await do_create_group(conn, site, alice.account, "readers", display_name="Readers")
    post = await do_post(conn, site, alice.account.id, Draft(text="Worth a read"))
    client = await browser_for(open_browser, media_config, pool, "bob")
    token = await token_on(client, "/")
    # A remote account's page, and asking to follow it.
    page = await (await client.get("/@zed@partner.example")).text()
    assert "Zed &lt;b&gt;Remote&lt;/b&gt;" in page and "Hi there" in page
    asked = await client.post(
        f"/web/accounts/{remote['id']}/follow",
        data={"authenticity_token": token},
        allow_redirects=False,
    )
    assert asked.headers["Location"] == "/@zed@partner.example"
    assert "Cancel follow request" in await (await client.get("/@zed@partner.example")).text()
    assert (await client.get("/@nobody@partner.example")).status == 404
    # A boost shows as "Bob boosted" on Bob's profile.
    await client.post(
        f"/web/statuses/{post.id}/reblog", data={"authenticity_token": token}, allow_redirects=False
    )
    profile = await (await client.get("/@bob")).text()
    assert re.search(r'<a href="/@bob">[^<]*</a> boosted', profile)
    assert "Worth a read" in profile
    # Joining and leaving a group from the list.
    groups = await (await client.get("/groups")).text()
    assert "Readers" in groups and ">Join<" in groups
    joined = await client.post(
        f"/web/accounts/{group.id}/follow",
        data={"authenticity_token": token, "next": "/groups"},
        allow_redirects=False,
    )
    assert joined.headers["Location"] == "/groups"
    assert ">Leave<" in await (await client.get("/groups")).text()
    assert ">Leave<" in await (await client.get("/@readers")).text()
    # Bob asks to follow locked Alice; Alice accepts from her notifications page.
    await client.post(
        f"/web/accounts/{alice.account.id}/follow",
        data={"authenticity_token": token},
        allow_redirects=False,
    )
    alice_client = await browser_for(open_browser, media_config, pool, "alice")
    notifications = await (await alice_client.get("/notifications")).text()
    assert "asked to follow you" in notifications
    fragment = await alice_client.get("/web/fragments/notifications?since_id=0")
    assert "asked to follow you" in await fragment.text()
    assert int(fragment.headers["X-Newest-Id"]) > 0
    assert f'action="/web/follow_requests/{bob.account.id}/accept"' in notifications
    alice_token = await token_on(alice_client, "/notifications")
    accepted = await alice_client.post(
        f"/web/follow_requests/{bob.account.id}/accept",
        data={"authenticity_token": alice_token},
        allow_redirects=False,
    )
    assert accepted.status == 303
    assert await conn.fetchval(
        "SELECT count(*) FROM follows WHERE account_id = $1 AND target_account_id = $2",
        bob.account.id,
        alice.account.id,
    )


async def test_a_leaving_member_reads_but_changes_nothing(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    alice = await make_member("alice")
    bob = await make_member("bob")
    post = await do_post(conn, media_config.site, bob.account.id, Draft(text="Farewell lunch"))
    client = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(client, "/")
    await conn.execute(
        "UPDATE users SET leaves_at = now() + interval '7 days' WHERE id = $1", alice.user_id
    )
    assert "Farewell lunch" in await (await client.get(f"/@bob/{post.id}")).text()
    for path, data in [
        ("/compose", {"status": "one more", "visibility": "public"}),
        (f"/web/statuses/{post.id}/favourite", {}),
        (f"/web/accounts/{bob.account.id}/follow", {}),
        ("/settings/preferences", {"default_visibility": "public"}),
    ]:
        refused = await client.post(
            path, data={"authenticity_token": token, **data}, allow_redirects=False
        )
        assert refused.status == 403, path
    assert (
        await conn.fetchval("SELECT count(*) FROM statuses WHERE account_id = $1", alice.account.id)
        == 0
    )
    assert not await conn.fetchval("SELECT count(*) FROM favourites")


async def test_a_refused_post_keeps_the_draft_and_says_why(
    open_browser: list[TestClient],
    media_config: WebConfig,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    conn: asyncpg.Connection,
) -> None:
    await make_member("alice")
    await make_member("carol", role="customer")
    alice = await browser_for(open_browser, media_config, pool, "alice")
    token = await token_on(alice, "/")
    empty = await alice.post(
        "/compose", data=compose_form(token, "", "public", spoiler_text="Keep <me>")
    )
    assert empty.status == 422
    page = await empty.text()
    assert 'class="error" role="alert"' in page
    assert 'value="Keep &lt;me&gt;"' in page
    not_an_image = compose_form(token, "With a file", "public")
    not_an_image.add_field("image_1", b"not an image", filename="x.png", content_type="image/png")
    refused = await alice.post("/compose", data=not_an_image)
    assert refused.status == 422
    # A customer cannot post internally, even by editing the form.
    carol = await browser_for(open_browser, media_config, pool, "carol")
    carol_token = await token_on(carol, "/")
    internal = await carol.post("/compose", data=compose_form(carol_token, "Psst", "local"))
    assert internal.status == 422
    assert await conn.fetchval("SELECT count(*) FROM statuses") == 0

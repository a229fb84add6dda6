"""Organisation news: the news account every new member follows, and the RSS/Atom feeds of an
account, read with a browser session or a personal feed token under the reader's access
rules."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import requests

from actors.credentials import do_open_session
from actors.invitations import do_create_invitation
from actors.node_policy import NodePolicy, PolicyError, do_set_policy, load_policy
from actors.registrations import SignUp, do_sign_up
from actors.relationships import get_follow
from db.pool import connection
from tests.conftest import MakeMember
from tests.live import LiveNode
from tests.test_cli import Rukun, Run, clean_environment, run_rukun

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_a_new_member_follows_the_news_account(
    conn: asyncpg.Connection, make_member: MakeMember
) -> None:
    admin = await make_member("ada", role="admin")
    # The news account must exist, and be a username
    with pytest.raises(PolicyError):
        await do_set_policy(conn, "news_account", "news")
    with pytest.raises(PolicyError):
        await do_set_policy(conn, "news_account", "not a name")
    news = await make_member("news")
    policy = await do_set_policy(conn, "news_account", "@news")
    assert policy.news_account == "news"
    assert (await load_policy(conn)).news_account == "news"

    # When someone signs up with an invitation
    invitation = await do_create_invitation(conn, admin, NodePolicy(), "employee")
    member, _ = await do_sign_up(
        conn,
        SignUp("newcomer", "newcomer@example.com", "correct horse battery", True, invitation.code),
    )

    # Then they follow the news account, counted on both sides
    assert await get_follow(conn, member.account.id, news.account.id) is not None
    counts = await conn.fetchrow(
        "SELECT followers_count FROM account_stats WHERE account_id = $1", news.account.id
    )
    assert counts["followers_count"] == 1
    # Members created before the news account was set are not subscribed
    assert await get_follow(conn, admin.account.id, news.account.id) is None

    # With no news account, nobody is subscribed
    await do_set_policy(conn, "news_account", "")
    other = await do_create_invitation(conn, admin, NodePolicy(), "employee")
    later, _ = await do_sign_up(
        conn, SignUp("later", "later@example.com", "correct horse battery", True, other.code)
    )
    assert await get_follow(conn, later.account.id, news.account.id) is None


@pytest.fixture
def rukun(database_url: str, tmp_path: Path) -> Rukun:
    async def run(*args: str, **env: str) -> Run:
        environment = clean_environment(RUKUN_DATABASE_URL=database_url, **env)
        return await run_rukun(*args, env=environment, cwd=tmp_path)

    return run


async def test_members_added_at_the_command_line_follow_it_too(
    rukun: Rukun, database_url: str
) -> None:
    assert (await rukun("user", "add", "news", "--role", "employee")).code == 0
    run = await rukun("policy", "set", "news_account", "news")
    assert run.code == 0, run.err
    assert "news_account                 news\n" in run.out
    refused = await rukun("policy", "set", "news_account", "nobody")
    assert refused.err == "rukun: error: news_account: no local account is named 'nobody'\n"
    assert (await rukun("user", "add", "newcomer", "--role", "customer")).code == 0
    async with connection(database_url) as conn:
        follows = await conn.fetchval(
            """SELECT count(*) FROM follows f
               JOIN accounts a ON a.id = f.account_id JOIN accounts t ON t.id = f.target_account_id
               WHERE a.username = 'newcomer' AND t.username = 'news'"""
        )
    assert follows == 1


def _post(node: LiveNode, token: str, text: str, visibility: str, **extra: Any) -> str:
    response = requests.post(
        f"{node.base_url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {token}"},
        json={"status": text, "visibility": visibility, **extra},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _feed_token(node: LiveNode, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    before = requests.get(f"{node.base_url}/api/v1/rukun/feed_token", headers=headers, timeout=10)
    assert before.json()["exists"] is False
    issued = requests.post(f"{node.base_url}/api/v1/rukun/feed_token", headers=headers, timeout=10)
    assert issued.status_code == 200
    after = requests.get(f"{node.base_url}/api/v1/rukun/feed_token", headers=headers, timeout=10)
    assert after.json()["exists"] is True and "token" not in after.json()
    secret: str = issued.json()["token"]
    base = node.site.base_url
    assert issued.json()["news_rss_url"] == f"{base}/@news.rss?feed_token={secret}"
    assert issued.json()["news_atom_url"] == f"{base}/@news.atom?feed_token={secret}"
    return secret


def _get(node: LiveNode, path: str, **params: str) -> requests.Response:
    return requests.get(f"{node.base_url}{path}", params=params, allow_redirects=False, timeout=10)


def _rss_links(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    return [item.findtext("link") or "" for item in channel.findall("item")]


def _atom_links(body: bytes) -> list[str]:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    return [
        entry.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_feeds_of_an_account_follow_the_readers_access(live_node: LiveNode) -> None:
    news = live_node.member("news")
    news_token = live_node.token(news)
    live_node.with_conn(lambda conn: do_set_policy(conn, "news_account", "news"))
    cathy_token = live_node.token(live_node.member("cathy", "customer"))
    eve_token = live_node.token(live_node.member("eve"))
    colin = live_node.member("colin", "customer")
    colin_token = live_node.token(colin)

    public = _post(live_node, news_token, "Quarterly results <are> in & good #news", "public")
    unlisted = _post(live_node, news_token, "Quiet update", "unlisted")
    internal = _post(live_node, news_token, "Internal: new canteen menu", "local")
    private = _post(live_node, news_token, "Followers only", "private")
    mention = _post(live_node, news_token, "Welcome @eve", "public")
    # Replies to others stay out, as in Mastodon's feeds
    question = _post(live_node, eve_token, "When is lunch?", "public")
    reply = _post(live_node, news_token, "@eve at noon", "public", in_reply_to_id=question)
    base = live_node.site.base_url

    def link(status_id: str) -> str:
        return f"{base}/@news/{status_id}"

    # Without a session or a token: sent to sign in; with a wrong token: 401
    anonymous = _get(live_node, "/@news.rss")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/auth/sign_in")
    assert _get(live_node, "/@news.atom").status_code == 302
    assert _get(live_node, "/@news.rss", feed_token="wrong").status_code == 401
    assert _get(live_node, "/@news.atom", feed_token="").status_code == 401

    # An employee's token: public, unlisted and internal posts, newest first
    eve_feed = _feed_token(live_node, eve_token)
    response = _get(live_node, "/@news.rss", feed_token=eve_feed)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rss+xml")
    links = _rss_links(response.content)
    assert links == [link(mention), link(internal), link(unlisted), link(public)]
    assert link(private) not in links and link(reply) not in links
    root = ET.fromstring(response.content)
    first = root.find("channel/item[last()]")
    assert first is not None
    assert "&lt;are&gt; in &amp; good" in (first.findtext("description") or "")
    assert first.findtext("category") == "news"
    atom = _get(live_node, "/@news.atom", feed_token=eve_feed)
    assert atom.headers["Content-Type"].startswith("application/atom+xml")
    assert _atom_links(atom.content) == links

    # A customer's token never shows the internal post
    cathy_feed = _feed_token(live_node, cathy_token)
    customer_links = _rss_links(_get(live_node, "/@news.rss", feed_token=cathy_feed).content)
    assert link(internal) not in customer_links
    assert link(public) in customer_links and link(unlisted) in customer_links
    assert link(internal) not in _atom_links(
        _get(live_node, "/@news.atom", feed_token=cathy_feed).content
    )
    # nor another customer's feed at all
    _post(live_node, colin_token, "Customer post", "public")
    assert _get(live_node, "/@colin.rss", feed_token=cathy_feed).status_code == 404
    assert _get(live_node, "/@nobody.rss", feed_token=cathy_feed).status_code == 404

    # A browser session reads it too, as its member
    eve_user = live_node.with_conn(
        lambda conn: conn.fetchval(
            "SELECT u.id FROM users u JOIN accounts a ON a.id = u.account_id"
            " WHERE a.username = 'eve'"
        )
    )
    cookie = live_node.with_conn(lambda conn: do_open_session(conn, eve_user, None, "test"))
    in_browser = requests.get(
        f"{live_node.base_url}/@news.rss", cookies={"rukun_session": cookie}, timeout=10
    )
    assert in_browser.status_code == 200
    assert link(internal) in _rss_links(in_browser.content)

    # A new token replaces the old one
    headers = {"Authorization": f"Bearer {eve_token}"}
    requests.post(f"{live_node.base_url}/api/v1/rukun/feed_token", headers=headers, timeout=10)
    assert _get(live_node, "/@news.rss", feed_token=eve_feed).status_code == 401

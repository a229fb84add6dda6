"""Groups and projects on one node through the client API (Mastodon.py, as apps use it; raw
HTTP for the answers to bad requests), and the group's page for signed-in members."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
import requests
from aiohttp.test_utils import TestClient
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from actors.accounts import Member
from actors.site import Site
from content.compose import Draft
from outbox.groups import do_create_group
from outbox.posting import do_post
from outbox.relationships import do_follow
from tests.conftest import MakeMember
from tests.live import LiveNode
from tests.test_signin import PASSWORD, browser, signed_in

__all__ = ["browser"]  # the fixture, shared with the sign-in tests


def client(node: LiveNode, username: str, role: str = "employee") -> Mastodon:
    member = node.member(username, role)
    return node.mastodon(node.token(member), version_check_mode="none")


def rukun(api: Mastodon, method: str, path: str, **params: Any) -> Any:
    return api._Mastodon__api_request(method, path, params)  # type: ignore[attr-defined]


def raw(node: LiveNode, api: Mastodon, method: str, path: str, **data: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {api.access_token}"}
    return requests.request(method, node.base_url + path, headers=headers, data=data, timeout=10)


def test_a_project_has_a_pinned_description_and_a_discussion(live_node: LiveNode) -> None:
    alice, anna = client(live_node, "alice"), client(live_node, "anna")
    # When: alice creates a project
    project = rukun(
        alice,
        "POST",
        "/api/v1/rukun/groups",
        name="apollo",
        display_name="Apollo",
        description="Moving the billing system to the new platform by March.",
        project=True,
    )
    # Then: it is a group account whose description is its pinned post
    assert project["project"] is True and project["role"] == "admin"
    assert project["account"]["group"] is True
    (pinned,) = anna.account_statuses(project["id"], pinned=True)
    assert str(pinned["id"]) == project["description_status_id"]
    assert "billing system" in pinned["content"]

    # When: anna joins (a follow) and comments under the description
    anna.account_follow(project["id"])
    comment = anna.status_post("Who owns the data migration?", in_reply_to_id=pinned["id"])
    answer = alice.status_post("@anna I do.", in_reply_to_id=comment["id"])

    # Then: the discussion is the thread under the post, in the group's timeline and context
    context = anna.status_context(pinned["id"])
    assert [s["id"] for s in context["descendants"]] == [comment["id"], answer["id"]]
    timeline = rukun(anna, "GET", f"/api/v1/rukun/groups/{project['id']}/timeline")
    assert [str(s["id"]) for s in timeline] == [
        str(answer["id"]),
        str(comment["id"]),
        str(pinned["id"]),
    ]
    paged = raw(live_node, anna, "GET", f"/api/v1/rukun/groups/{project['id']}/timeline?limit=1")
    assert 'rel="next"' in paged.headers["Link"]
    # anna's home shows the group's boost of alice's answer, and the group lists her
    assert any(
        s["reblog"] and s["reblog"]["id"] == answer["id"] and s["account"]["id"] == project["id"]
        for s in anna.timeline_home()
    )
    members = rukun(anna, "GET", f"/api/v1/rukun/groups/{project['id']}/members")
    assert sorted(m["acct"] for m in members) == ["alice", "anna"]
    assert [g["id"] for g in rukun(anna, "GET", "/api/v1/rukun/groups", mine=True)] == [
        project["id"]
    ]


def test_invite_only_group_admits_only_the_invited(live_node: LiveNode) -> None:
    alice, anna = client(live_node, "alice"), client(live_node, "anna")
    group = rukun(alice, "POST", "/api/v1/rukun/groups", name="board", policy="invite")
    try:
        anna.account_follow(group["id"])
    except MastodonAPIError as error:
        assert error.args[1] == 403
    else:
        raise AssertionError("an uninvited member joined an invite-only group")
    anna_id = anna.account_verify_credentials()["id"]
    rukun(alice, "POST", f"/api/v1/rukun/groups/{group['id']}/invites", account_id=str(anna_id))
    assert anna.account_follow(group["id"])["following"]


def test_group_moderation_removes_posts_and_admins_are_named(live_node: LiveNode) -> None:
    alice, anna, ben = (
        client(live_node, "alice"),
        client(live_node, "anna"),
        client(live_node, "ben"),
    )
    group = rukun(alice, "POST", "/api/v1/rukun/groups", name="crew")
    base = f"/api/v1/rukun/groups/{group['id']}"
    for member in (anna, ben):
        member.account_follow(group["id"])
    post = ben.status_post("@crew buy cheap watches")
    assert any(s["reblog"] and s["reblog"]["id"] == post["id"] for s in anna.timeline_home())

    # anna is no admin: she may not remove it, until alice makes her one
    refused = raw(live_node, anna, "POST", f"{base}/statuses/{post['id']}/remove")
    assert refused.status_code == 403 and refused.json() == {"error": "This action is not allowed"}
    anna_id = anna.account_verify_credentials()["id"]
    rukun(alice, "POST", f"{base}/admins", account_id=str(anna_id))
    assert rukun(anna, "GET", base)["role"] == "admin"
    rukun(anna, "POST", f"{base}/statuses/{post['id']}/remove")

    # The post leaves the group's timeline and the members' home feeds
    assert rukun(alice, "GET", f"{base}/timeline") == []
    assert not any(s["reblog"] and s["reblog"]["id"] == post["id"] for s in anna.timeline_home())


def test_bad_group_requests_get_clear_errors(live_node: LiveNode) -> None:
    alice, anna = client(live_node, "alice"), client(live_node, "anna")
    carol = client(live_node, "carol", "customer")
    bad = raw(live_node, alice, "POST", "/api/v1/rukun/groups", name="x", policy="secret")
    assert bad.status_code == 422
    assert bad.json() == {
        "error": "Validation failed: policy must be one of open, partners, approval, invite"
    }
    rukun(alice, "POST", "/api/v1/rukun/groups", name="ops")
    taken = raw(live_node, alice, "POST", "/api/v1/rukun/groups", name="alice")
    assert taken.status_code == 422 and "already taken" in taken.json()["error"]
    nameless = raw(live_node, alice, "POST", "/api/v1/rukun/groups", name="a b")
    assert nameless.status_code == 422
    group = rukun(alice, "GET", "/api/v1/rukun/groups")[0]
    assert raw(live_node, anna, "PATCH", f"/api/v1/rukun/groups/{group['id']}").status_code == 403
    assert raw(live_node, anna, "GET", "/api/v1/rukun/groups/12345").status_code == 404
    # Customers may not create groups, and see only the groups they are in
    assert raw(live_node, carol, "POST", "/api/v1/rukun/groups", name="c").status_code == 403
    assert rukun(carol, "GET", "/api/v1/rukun/groups") == []
    with pytest.raises(MastodonNotFoundError):
        rukun(carol, "GET", f"/api/v1/rukun/groups/{group['id']}")
    carol.account_follow(group["id"])
    assert [g["id"] for g in rukun(carol, "GET", "/api/v1/rukun/groups")] == [group["id"]]


# -- the group's page --------------------------------------------------------------------------


async def test_the_group_page_shows_posts_with_their_threads_to_members(
    browser: TestClient, conn: asyncpg.Connection, site: Site, make_member: MakeMember
) -> None:
    alice: Member = await make_member("alice", password=PASSWORD)
    anna: Member = await make_member("anna", password=PASSWORD)
    group = await do_create_group(
        conn,
        site,
        alice.account,
        "apollo",
        display_name="Apollo <script>",
        description="Billing & <b>platform</b>",
        is_project=True,
    )
    await do_follow(conn, site, anna.account, group.account)
    assert group.description_status_id is not None
    reply = await do_post(
        conn,
        site,
        anna.account.id,
        Draft(text="Who owns <the> migration?", in_reply_to_id=group.description_status_id),
    )
    assert reply.in_reply_to_id == group.description_status_id
    await do_create_group(conn, site, alice.account, "board", visibility="members_only")

    # Anonymous visitors are sent to sign in
    anonymous = await browser.get("/@apollo", allow_redirects=False)
    assert anonymous.status in (302, 303)

    await signed_in(browser, "anna")
    page = await browser.get("/@apollo")
    assert page.status == 200
    text = await page.text()
    assert "Apollo &lt;script&gt;" in text and "<script>" not in text
    assert "Billing &amp; &lt;b&gt;platform&lt;/b&gt;" in text
    assert "2 members" in text
    assert "Who owns &lt;the&gt; migration?" in text
    assert (await browser.get("/@nobody")).status == 404
    # A members-only group's page is not found by whoever is not a member
    assert (await browser.get("/@board")).status == 404

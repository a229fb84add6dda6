"""Search and hashtags through the client API: Mastodon.py's `search_v2` and `tag`, raw HTTP for
the parameters Mastodon.py only sends to servers it knows are new enough, and for errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
import requests

from actors.accounts import Member
from content.compose import Draft
from outbox.posting import do_post
from tests.live import LiveNode


@dataclass
class World:
    node: LiveNode
    alice: Member
    bob: Member
    carol: Member
    statuses: dict[str, str]

    def api(self, member: Member, scopes: str = "read write follow") -> Any:
        return self.node.mastodon(self.node.token(member, scopes), version_check_mode="none")

    def token(self, member: Member, scopes: str = "read write follow") -> str:
        return self.node.token(member, scopes)

    def post(self, member: Member, text: str, visibility: str = "public") -> str:
        """Post as `member`; the id as the API writes it."""

        async def run(conn: asyncpg.Connection) -> int:
            draft = Draft(text=text, visibility=visibility)
            return (await do_post(conn, self.node.site, member.account.id, draft)).id

        return str(self.node.with_conn(run))

    def raw(self, member: Member | None, path: str, **params: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(member)}"} if member else {}
        return requests.get(self.node.base_url + path, params=params, headers=headers, timeout=30)


@pytest.fixture
def world(live_node: LiveNode) -> World:
    alice = live_node.member("alice", display_name="Alice Liddell")
    bob = live_node.member("bob", display_name="Robert Budget")
    carol = live_node.member("carol")
    live_node.member("alicia")

    async def remote(conn: asyncpg.Connection) -> None:
        # A partner node's member, as federation will store one.
        await conn.execute(
            """INSERT INTO accounts (username, domain, display_name, public_key_pem, uri, url)
               VALUES ('zoe', 'partner.example', 'Zoe Remote', 'key',
                       'https://partner.example/users/zoe', 'https://partner.example/@zoe')"""
        )

    live_node.with_conn(remote)
    world = World(live_node, alice, bob, carol, {})
    world.statuses["roadmap"] = world.post(alice, "The quarterly roadmap review #Roadmap2026")
    world.statuses["secret"] = world.post(bob, "A private roadmap for followers", "private")
    world.statuses["lunch"] = world.post(carol, "Lunch at noon? #RoadTrip")
    return world


def ids(items: list[Any]) -> list[str]:
    return [item["id"] for item in items]


# --- accounts -----------------------------------------------------------------------------


def test_accounts_by_username_prefix_in_any_case(world: World) -> None:
    api = world.api(world.carol)
    found = api.search_v2("ALI", result_type="accounts")
    assert [a.acct for a in found.accounts] == ["alice", "alicia"]
    assert found.statuses == [] and found.hashtags == []
    assert api.search_v2("@alice", result_type="accounts").accounts[0].acct == "alice"


def test_accounts_by_handle_with_domain(world: World) -> None:
    api = world.api(world.carol)
    local = api.search_v2("alice@rukun.test", result_type="accounts").accounts
    assert [a.acct for a in local] == ["alice"]
    remote = api.search_v2("@zoe@partner.example", result_type="accounts").accounts
    assert [(a.acct, a.display_name) for a in remote] == [("zoe@partner.example", "Zoe Remote")]
    assert [a.acct for a in api.search_v2("zoe@partner", result_type="accounts").accounts] == [
        "zoe@partner.example"
    ]
    assert api.search_v2("zoe@elsewhere.example", result_type="accounts").accounts == []


def test_accounts_by_display_name_word(world: World) -> None:
    api = world.api(world.carol)
    assert [a.acct for a in api.search_v2("liddell", result_type="accounts").accounts] == ["alice"]
    assert [a.acct for a in api.search_v2("Robert", result_type="accounts").accounts] == ["bob"]


def test_accounts_only_followed(world: World) -> None:
    carol = world.api(world.carol)
    carol.account_follow(world.alice.account.id)
    response = world.raw(world.carol, "/api/v2/search", q="ali", type="accounts", following="true")
    assert [a["acct"] for a in response.json()["accounts"]] == ["alice"]


# --- statuses -----------------------------------------------------------------------------


def test_statuses_by_full_text_among_those_the_viewer_may_see(world: World) -> None:
    carol = world.api(world.carol)
    found = carol.search_v2("roadmap", result_type="statuses")
    # bob's followers-only status stays hidden from carol, who does not follow him
    assert [s.id for s in found.statuses] == [world.statuses["roadmap"]]
    assert found.statuses[0].account.acct == "alice"

    carol.account_follow(world.bob.account.id)
    found = carol.search_v2("roadmap", result_type="statuses")
    assert [s.id for s in found.statuses] == [world.statuses["secret"], world.statuses["roadmap"]]


def test_statuses_of_authors_who_block_the_viewer_are_not_found(world: World) -> None:
    world.api(world.alice).account_block(world.carol.account.id)
    assert world.api(world.carol).search_v2("roadmap", result_type="statuses").statuses == []


def test_status_paging_and_author_filter(world: World) -> None:
    budget = [world.post(world.alice, f"Budget line {n}") for n in range(3)]
    bobs = world.post(world.bob, "Budget from bob")
    query = {"q": "budget", "type": "statuses"}

    def found(**params: Any) -> list[str]:
        response = world.raw(world.carol, "/api/v2/search", **query, **params)
        assert response.status_code == 200, response.text
        return ids(response.json()["statuses"])

    assert found() == [bobs, *reversed(budget)]
    assert found(limit=2) == [bobs, budget[2]]
    assert found(limit=2, offset=2) == [budget[1], budget[0]]
    assert found(max_id=budget[2]) == [budget[1], budget[0]]
    assert found(min_id=budget[0], limit=1) == [budget[1]]
    assert found(account_id=world.alice.account.id) == list(reversed(budget))


def test_mastodon_full_text_rules(world: World) -> None:
    api = world.api(world.carol)
    # A query starting with # looks for hashtags and accounts only, never text.
    assert api.search_v2("#roadmap2026").statuses == []
    # Quoted phrases and exclusions follow web-search syntax.
    assert [s.id for s in api.search_v2('"quarterly roadmap"').statuses] == [
        world.statuses["roadmap"]
    ]
    assert api.search_v2("roadmap -quarterly", result_type="statuses").statuses == []


# --- hashtags -----------------------------------------------------------------------------


def test_hashtags_by_prefix(world: World) -> None:
    api = world.api(world.carol)
    found = api.search_v2("#road", result_type="hashtags").hashtags
    assert [t.name for t in found] == ["RoadTrip", "Roadmap2026"]
    assert found[0].url == "https://rukun.test/tags/roadtrip"
    assert found[0].history == []
    assert [t.name for t in api.search_v2("roadmap").hashtags] == ["Roadmap2026"]
    assert api.search_v2("road@example.com").hashtags == []


def test_a_tag_by_name(world: World) -> None:
    api = world.api(world.carol)
    tag = api.tag("roadmap2026")
    assert tag.name == "Roadmap2026"
    assert tag.url == "https://rukun.test/tags/roadmap2026"
    assert tag.following is False
    assert tag.history == []
    assert world.raw(world.carol, "/api/v1/tags/%25%25").status_code == 404
    assert world.raw(None, "/api/v1/tags/roadmap2026").status_code == 401


def test_a_tag_nobody_used_yet_is_shown_as_mastodon_shows_it(world: World) -> None:
    # Apps open a hashtag's page with GET /api/v1/tags/:name first and fail on a 404.
    api = world.api(world.carol)
    unseen = api.tag("NobodyUsesThis")
    assert unseen.id == ""
    assert unseen.name == "NobodyUsesThis"
    assert unseen.url == "https://rukun.test/tags/nobodyusesthis"
    assert unseen.following is False and unseen.history == []
    assert api.tag_unfollow("NobodyUsesThis").following is False
    assert api.tag_follow("NobodyUsesThis").following is True
    followed = api.tag("nobodyusesthis")
    assert followed.id != "" and followed.following is True
    assert world.raw(None, "/api/v1/tags/roadmap2026").status_code == 401


# --- resolving ----------------------------------------------------------------------------


def test_resolving_a_url_finds_the_one_thing_it_names(world: World) -> None:
    api = world.api(world.carol)
    status_url = f"https://rukun.test/@alice/{world.statuses['roadmap']}"
    found = api.search_v2(status_url, resolve=True)
    assert [s.id for s in found.statuses] == [world.statuses["roadmap"]]
    assert found.accounts == [] and found.hashtags == []
    uri = f"https://rukun.test/users/alice/statuses/{world.statuses['roadmap']}"
    assert [s.id for s in api.search_v2(uri, resolve=True).statuses] == [world.statuses["roadmap"]]
    profile = api.search_v2("https://rukun.test/@alice", resolve=True)
    assert [a.acct for a in profile.accounts] == ["alice"] and profile.statuses == []
    remote = api.search_v2("https://partner.example/users/zoe", resolve=True)
    assert [a.acct for a in remote.accounts] == ["zoe@partner.example"]
    # bob's private status stays hidden, whatever its URL.
    hidden = api.search_v2(f"https://rukun.test/@bob/{world.statuses['secret']}", resolve=True)
    assert hidden.statuses == []


def test_resolving_something_unknown_finds_nothing_yet(world: World) -> None:
    api = world.api(world.carol)
    for query in ("https://elsewhere.example/@someone/1", "someone@elsewhere.example"):
        found = api.search_v2(query, resolve=True)
        assert found.accounts == [] and found.statuses == [] and found.hashtags == []


# --- refusing -----------------------------------------------------------------------------


def test_search_needs_a_query_and_a_token_with_read_search(world: World) -> None:
    missing = world.raw(world.carol, "/api/v2/search", q="  ")
    assert missing.status_code == 400
    assert missing.json() == {"error": "param is missing or the value is empty: q"}
    assert world.raw(world.carol, "/api/v2/search").status_code == 400
    assert world.raw(None, "/api/v2/search", q="alice").status_code == 401
    write_only = requests.get(
        world.node.base_url + "/api/v2/search",
        params={"q": "alice"},
        headers={"Authorization": f"Bearer {world.token(world.carol, 'write')}"},
        timeout=30,
    )
    assert write_only.status_code == 403
    granular = world.node.mastodon(
        world.token(world.carol, "read:search"), version_check_mode="none"
    )
    assert [a.acct for a in granular.search_v2("bob", result_type="accounts").accounts] == ["bob"]
    negative = world.raw(world.carol, "/api/v2/search", q="a", limit="-1")
    assert negative.status_code == 400
    unknown_type = world.raw(world.carol, "/api/v2/search", q="alice", type="people")
    assert unknown_type.json() == {"accounts": [], "statuses": [], "hashtags": []}

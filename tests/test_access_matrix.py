"""Who sees what, proven path by path: every kind of viewer (anonymous, customer, employee,
moderator, admin, a member of a partner node, a member of a node we do not federate with)
against posts of every visibility by an employee and by a customer, on every read path — the
status, its context, the author's statuses, the home, public and hashtag timelines, search,
notifications and the ActivityPub object — and against accounts on the account paths and the
HTML profile page. One database, set up once; `pytest -s` prints the tables.

The expected answers are the rules restated here, independently of `content.access`."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from actors.accounts import Member
from actors.credentials import do_create_token
from actors.node_policy import do_set_policy
from actors.relationships import FollowOptions, insert_follow
from actors.site import Site
from content.compose import Draft
from content.statuses import Status
from federation.media_types import ACTIVITY_JSON
from outbox.posting import do_post
from tests.conftest import TEST_DOMAIN, MakeMember
from tests.signed_fetches import RemoteActor, remote_actor, signed_headers
from tests.test_signin import signed_in, start_browser
from web.auth import SESSION_COOKIE
from web.config import WebConfig

SITE = Site(TEST_DOMAIN, "https")
VISIBILITIES = ("public", "unlisted", "private", "direct", "local")
STATUS_PATHS = (
    "status",
    "context",
    "account",
    "home",
    "public",
    "tag",
    "search",
    "notifications",
    "activitypub",
)
ACCOUNT_PATHS = ("show", "lookup", "search", "v2search", "relations", "followers", "html", "actor")
# Viewer name -> role; `partner` and `stranger` are actors of other nodes.
VIEWERS = {
    "anonymous": None,
    "cara": "customer",
    "eli": "employee",
    "mo": "moderator",
    "ada": "admin",
    "partner": None,
    "stranger": None,
}
AUTHORS = {"emma": "employee", "cody": "customer"}
MEMBERS = {"cara", "eli", "mo", "ada"}
# Who follows whom (with notifications on); direct posts mention cara.
FOLLOWS = {("cara", "emma"), ("eli", "emma"), ("mo", "emma"), ("eli", "cody"), ("cara", "cody")}
MENTIONED = "cara"
ROLES = {**{k: v for k, v in VIEWERS.items() if v}, **AUTHORS}


def may_see(viewer: str, author: str, visibility: str) -> bool:
    if viewer in ("anonymous", "stranger"):
        return False
    follows = (viewer, author) in FOLLOWS
    mentioned = visibility == "direct" and viewer == MENTIONED
    if viewer == "partner":  # a partner's member follows emma
        return visibility in ("public", "unlisted") or (
            visibility == "private" and author == "emma"
        )
    if ROLES[viewer] == "customer" and ROLES[author] == "customer":
        return False
    if visibility == "local":
        return ROLES[viewer] != "customer"
    if visibility in ("public", "unlisted"):
        return True
    return follows or mentioned if visibility == "private" else mentioned


def expected(path: str, viewer: str, author: str, visibility: str) -> bool:
    seen = may_see(viewer, author, visibility)
    if path == "activitypub":
        return seen and viewer == "partner"
    if viewer not in MEMBERS:
        return False  # the client API answers only members' tokens
    follows = (viewer, author) in FOLLOWS
    if path == "home":
        return seen and follows and (visibility != "direct" or viewer == MENTIONED)
    if path in ("public", "tag"):
        return seen and visibility in ("public", "local")
    if path == "notifications":
        notified = viewer == MENTIONED if visibility == "direct" else follows
        return seen and notified
    return seen


def expected_account(path: str, viewer: str, target: str) -> bool:
    if path == "actor":
        # Allowed nodes fetch every member's actor, customers included (federation needs it).
        return viewer == "partner"
    if path == "followers" and viewer == "partner":
        # Other nodes' follower pages leave the organisation's customers out.
        return ROLES[target] != "customer"
    if viewer not in MEMBERS:
        return False
    customers = ROLES[viewer] == ROLES[target] == "customer"
    return viewer == target or not customers


class Node:
    """The test node's client, with each viewer's credentials: a token for members (and a
    session cookie for the HTML pages), a signature for other nodes' actors, nothing for the
    anonymous."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self.actors: dict[str, RemoteActor] = {}

    def headers(self, viewer: str, path: str, accept: str) -> dict[str, str]:
        if viewer in self.actors:
            return signed_headers(self.client, self.actors[viewer], path, accept)
        if viewer in self.tokens and accept == "application/json":
            return {"Authorization": f"Bearer {self.tokens[viewer]}", "Accept": accept}
        if viewer in self.cookies and accept == "text/html":
            return {"Cookie": f"{SESSION_COOKIE}={self.cookies[viewer]}", "Accept": accept}
        return {"Accept": accept}

    async def get(
        self, viewer: str, path: str, accept: str = "application/json", **params: str
    ) -> tuple[int, Any]:
        response = await self.client.get(
            path,
            params=params,
            headers=self.headers(viewer, path, accept),
            allow_redirects=False,
        )
        body = None
        if response.status == 200 and accept != "text/html":
            body = await response.json(content_type=None)
        return response.status, body

    async def listed(self, viewer: str, path: str, **params: str) -> set[str]:
        """Status or account ids in a list the viewer reads (none when the list is refused,
        which happens only as "unauthorised" or "not found")."""
        status, body = await self.get(viewer, path, **params)
        if status != 200:
            assert status in (401, 404), (viewer, path, status)
            return set()
        if isinstance(body, dict):  # v2 search
            body = body["statuses"] + body["accounts"]
        found = set()
        for item in body:
            if "group_key" in item or ("type" in item and "account" in item):  # notification
                if item.get("status"):
                    found.add(str(item["status"]["id"]))
            else:
                found.add(str(item["id"]))
        return found


def table(title: str, rows: dict[str, dict[str, bool]], columns: tuple[str, ...]) -> str:
    width = max(len(key) for key in rows) + 2
    lines = [title, " " * width + " ".join(f"{c[:8]:>8}" for c in columns)]
    for key, cells in rows.items():
        marks = " ".join(f"{'yes' if cells[c] else '-':>8}" for c in columns)
        lines.append(f"{key:<{width}}{marks}")
    allowed = sum(v for cells in rows.values() for v in cells.values())
    total = sum(len(cells) for cells in rows.values())
    lines.append(f"{allowed} allowed, {total - allowed} denied, {total} checked")
    return "\n".join(lines)


Posts = dict[tuple[str, str], tuple[Status, Status]]


async def _setup(
    pool: asyncpg.Pool, make_member: MakeMember, node: Node, web_config: WebConfig
) -> tuple[dict[str, Member], Posts]:
    members = {name: await make_member(name, role) for name, role in ROLES.items()}
    async with pool.acquire() as conn:
        node.actors["partner"] = await remote_actor(conn, "pat", "b.test")
        node.actors["stranger"] = await remote_actor(conn, "sam", "evil.test", allow=False)
        follows = [(members[a].account.id, members[b].account.id) for a, b in FOLLOWS]
        # The partner's member follows emma; emma and cody follow ada (her followers list).
        follows.append((node.actors["partner"].account_id, members["emma"].account.id))
        follows += [(members[n].account.id, members["ada"].account.id) for n in AUTHORS]
        for follower, target in follows:
            assert await insert_follow(conn, follower, target, FollowOptions(notify=True))
        for name in MEMBERS:
            node.tokens[name] = await do_create_token(conn, members[name].user_id, "read")
        posts: Posts = {}
        for author in AUTHORS:
            author_id = members[author].account.id
            for visibility in VISIBILITIES:
                mention = f"@{MENTIONED} " if visibility == "direct" else ""
                text = f"{mention}zq{author}{visibility} #matrix"
                parent = await do_post(conn, SITE, author_id, Draft(text, visibility=visibility))
                reply = Draft(f"{mention}more", visibility=visibility, in_reply_to_id=parent.id)
                posts[author, visibility] = (parent, await do_post(conn, SITE, author_id, reply))
    browser = await start_browser(web_config, pool)
    try:
        for name in MEMBERS:
            browser.session.cookie_jar.clear()
            node.cookies[name] = await signed_in(browser, name)
    finally:
        await browser.close()
    return members, posts


async def _status_cells(node: Node, viewer: str, members: dict[str, Member], posts: Posts) -> dict:
    lists = {
        "home": await node.listed(viewer, "/api/v1/timelines/home", limit="40"),
        "public": await node.listed(viewer, "/api/v1/timelines/public", limit="40"),
        "tag": await node.listed(viewer, "/api/v1/timelines/tag/matrix", limit="40"),
        "notifications": await node.listed(viewer, "/api/v1/notifications", limit="80"),
    }
    profiles = {
        author: await node.listed(
            viewer, f"/api/v1/accounts/{members[author].account.id}/statuses", limit="40"
        )
        for author in AUTHORS
    }
    cells: dict[tuple[str, str], dict[str, bool]] = {}
    for (author, visibility), (parent, reply) in posts.items():
        key = str(parent.id)
        status, _ = await node.get(viewer, f"/api/v1/statuses/{parent.id}")
        assert status in (200, 401, 404), status
        context_status, context = await node.get(viewer, f"/api/v1/statuses/{reply.id}/context")
        ancestors = {a["id"] for a in context["ancestors"]} if context_status == 200 else set()
        found = await node.listed(
            viewer, "/api/v2/search", q=f"zq{author}{visibility}", type="statuses"
        )
        object_status, _ = await node.get(
            viewer, f"/users/{author}/statuses/{parent.id}", accept=ACTIVITY_JSON
        )
        assert object_status in (200, 401, 404), object_status
        cells[author, visibility] = {
            "status": status == 200,
            "context": key in ancestors,
            "account": key in profiles[author],
            **{name: key in ids for name, ids in lists.items()},
            "search": key in found,
            "activitypub": object_status == 200,
        }
    return cells


async def _account_cells(node: Node, viewer: str, members: dict[str, Member]) -> dict:
    ada_followers = await node.listed(
        viewer, f"/api/v1/accounts/{members['ada'].account.id}/followers"
    )
    _, collection = await node.get(
        viewer, "/users/ada/followers", accept=ACTIVITY_JSON, page="true"
    )
    peer_followers = set(collection["orderedItems"]) if collection else set()
    cells = {}
    for target in ("emma", "cody", "cara"):
        account_id = str(members[target].account.id)
        show, _ = await node.get(viewer, f"/api/v1/accounts/{account_id}")
        lookup, _ = await node.get(viewer, "/api/v1/accounts/lookup", acct=target)
        searched = await node.listed(viewer, "/api/v1/accounts/search", q=target)
        v2 = await node.listed(viewer, "/api/v2/search", q=target, type="accounts")
        relations = await node.listed(
            viewer, "/api/v1/accounts/relationships", **{"id[]": account_id}
        )
        html, _ = await node.get(viewer, f"/@{target}", accept="text/html")
        _, actor = await node.get(viewer, f"/users/{target}", accept=ACTIVITY_JSON)
        in_followers = account_id in ada_followers
        if target != "cara":
            in_followers = in_followers or SITE.actor_url(target) in peer_followers
        cells[target] = {
            "show": show == 200,
            "lookup": lookup == 200,
            "search": account_id in searched,
            "v2search": account_id in v2,
            "relations": account_id in relations,
            "followers": in_followers if target != "cara" else show == 200,
            "html": html == 200,
            # An allowed node gets the whole actor; others at most the key document.
            "actor": actor is not None and "outbox" in actor,
        }
    return cells


async def test_every_viewer_on_every_read_path(
    client: TestClient,
    pool: asyncpg.Pool,
    make_member: MakeMember,
    web_config: WebConfig,
) -> None:
    # Given an employee and a customer who each post in every visibility, and every viewer
    node = Node(client)
    members, posts = await _setup(pool, make_member, node, web_config)

    # When each viewer reads each post on each path
    status_rows: dict[str, dict[str, bool]] = {}
    account_rows: dict[str, dict[str, bool]] = {}
    mismatches = []
    for viewer in VIEWERS:
        for (author, visibility), seen in (
            await _status_cells(node, viewer, members, posts)
        ).items():
            status_rows[f"{viewer:<9} {author}/{visibility}"] = seen
            for path in STATUS_PATHS:
                if seen[path] != expected(path, viewer, author, visibility):
                    mismatches.append((viewer, author, visibility, path, seen[path]))
        for target, seen in (await _account_cells(node, viewer, members)).items():
            if viewer in ("cara",) or target != "cara":
                account_rows[f"{viewer:<9} {target}"] = seen
            for path in ACCOUNT_PATHS:
                if target == "cara" and viewer not in MEMBERS and path == "followers":
                    continue  # cara is in nobody's follower list
                if seen[path] != expected_account(path, viewer, target):
                    mismatches.append((viewer, target, path, seen[path]))

    # Then every answer is the rule's
    print()
    print(table("Statuses (viewer, author/visibility) x read path", status_rows, STATUS_PATHS))
    print(table("Accounts (viewer, target) x account path", account_rows, ACCOUNT_PATHS))
    assert mismatches == []


async def test_policy_widens_what_customers_see(
    client: TestClient, pool: asyncpg.Pool, make_member: MakeMember, web_config: WebConfig
) -> None:
    node = Node(client)
    members, posts = await _setup(pool, make_member, node, web_config)
    internal = posts["emma", "local"][0]
    customers_post = posts["cody", "public"][0]
    cody = members["cody"].account.id

    assert (await node.get("cara", f"/api/v1/statuses/{internal.id}"))[0] == 404
    assert (await node.get("cara", f"/api/v1/accounts/{cody}"))[0] == 404

    async with pool.acquire() as conn:
        await do_set_policy(conn, "customers_see_local", True)
    assert (await node.get("cara", f"/api/v1/statuses/{internal.id}"))[0] == 200
    assert str(internal.id) in await node.listed("cara", "/api/v1/timelines/public")
    assert (await node.get("cara", f"/api/v1/statuses/{customers_post.id}"))[0] == 404

    async with pool.acquire() as conn:
        await do_set_policy(conn, "customers_see_customers", True)
    assert (await node.get("cara", f"/api/v1/statuses/{customers_post.id}"))[0] == 200
    assert (await node.get("cara", f"/api/v1/accounts/{cody}"))[0] == 200
    assert (await node.get("cara", "/@cody", accept="text/html"))[0] == 200
    # Other nodes still never read an internal post
    assert (await node.get("partner", f"/users/emma/statuses/{internal.id}", accept=ACTIVITY_JSON))[
        0
    ] == 404


async def test_an_internal_post_is_never_delivered_to_a_following_partner(
    client: TestClient, pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    # Given a partner node's member follows emma
    emma = await make_member("emma")
    async with pool.acquire() as conn:
        pat = await remote_actor(conn, "pat", "b.test")
        assert await insert_follow(conn, pat.account_id, emma.account.id, FollowOptions())
        # When emma posts internally, and then publicly
        internal = await do_post(conn, SITE, emma.account.id, Draft("staff", visibility="local"))
        reply = Draft("still staff", visibility="public", in_reply_to_id=internal.id)
        internal_reply = await do_post(conn, SITE, emma.account.id, reply)
        public = await do_post(conn, SITE, emma.account.id, Draft("hello", visibility="public"))
        deliveries = await conn.fetch("SELECT payload FROM deliveries WHERE host = 'b.test'")
    node = Node(client)
    node.actors["partner"] = pat

    # Then a reply to an internal post is internal too, only the public post is delivered,
    # and the partner's signed GET of an internal post is not found
    assert internal_reply.visibility == "local"
    objects = [row["payload"] for row in deliveries]
    assert len(objects) == 1 and str(public.id) in str(objects[0])
    for status in (internal, internal_reply):
        path = f"/users/emma/statuses/{status.id}"
        assert (await node.get("partner", path, accept=ACTIVITY_JSON))[0] == 404
        assert (await node.get("partner", f"{path}/activity", accept=ACTIVITY_JSON))[0] == 404
    assert (await node.get("partner", f"/users/emma/statuses/{public.id}", accept=ACTIVITY_JSON))[
        0
    ] == 200

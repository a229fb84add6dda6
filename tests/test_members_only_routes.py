"""Members only, route by route: every GET the node answers is tried without credentials. The
client API answers 401 except what apps read before anyone signs in (instance documents,
rules, custom emoji, OAuth); HTML pages send the visitor to sign in; ActivityPub documents
need a signature (an actor answers with its key document only); discovery stays public."""

from __future__ import annotations

import re

import asyncpg
from aiohttp.test_utils import TestClient

from actors.node_policy import do_set_policy
from federation.media_types import ACTIVITY_JSON
from tests.conftest import MakeMember

# What apps and other servers read before anyone signs in (Mastodon apps fetch the instance
# documents and custom emoji to show the sign-in screen), and the sign-in pages themselves.
OPEN = re.compile(
    r"^/(api/v1/instance(/rules|/activity|/translation_languages|/extended_description)?|api/v2/instance"
    r"|api/v1/custom_emojis|oauth/.*|invite/.*|\.well-known/.*|nodeinfo/.*|auth/.*|static(/.*)?|system/.*"
    r"|actor(/outbox)?|users/emma|api/oembed|manifest\.json|about"
    # An export's download link: its secret token is the credential (a wrong one is 404).
    r"|exports/\d+/[^/]+)$"
)
SIGN_IN = "/auth/sign_in"


def concrete(path: str) -> str:
    path = path.replace("{name}", "emma").replace("{hashtag}", "matrix")
    path = path.replace("{group_key}", "ungrouped-1")
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_nothing_is_readable_without_credentials(
    client: TestClient, make_member: MakeMember
) -> None:
    await make_member("emma")
    paths = sorted(
        {
            concrete(route.resource.canonical)
            for route in client.app.router.routes()
            if route.method == "GET" and route.resource is not None
        }
    )
    answers = {}
    for path in paths:
        # ActivityPub documents are asked for as other servers ask for them.
        headers = {"Accept": ACTIVITY_JSON} if path.startswith("/users/") else {}
        response = await client.get(path, headers=headers, allow_redirects=False)
        answers[path] = (response.status, response.headers.get("Location", ""))

    refused = {}
    for path, (status, location) in answers.items():
        if OPEN.match(path.rstrip("/") or "/"):
            continue
        if path.startswith("/api/") or path.startswith("/users/"):
            ok = status == 401
        else:  # HTML pages
            ok = status in (302, 303) and location.startswith(SIGN_IN)
        if not ok:
            refused[path] = (status, location)
    print(f"\n{len(answers)} GET routes tried, {len(answers) - len(refused)} as expected")
    assert len(paths) > 100
    assert refused == {}


async def test_usage_counts_follow_the_admins_policy(
    client: TestClient, pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    # Given a node with members and the operator's setting showing counts
    await make_member("emma")
    await make_member("cara", "customer")

    async def documents() -> tuple[dict, dict]:
        instance = await (await client.get("/api/v1/instance")).json()
        nodeinfo = await (await client.get("/nodeinfo/2.1")).json(content_type=None)
        return instance, nodeinfo

    instance, nodeinfo = await documents()
    assert instance["stats"]["user_count"] == 2
    assert nodeinfo["usage"]["users"]["total"] == 2
    # No member is named in the instance documents
    assert instance["contact_account"] is None

    # When the admins hide usage counts, both documents leave them out
    async with pool.acquire() as conn:
        await do_set_policy(conn, "hide_usage_counts", True)
    instance, nodeinfo = await documents()
    assert instance["stats"] == {"user_count": 0, "status_count": 0, "domain_count": 0}
    assert nodeinfo["usage"] == {"users": {}}
    v2 = await (await client.get("/api/v2/instance")).json()
    assert v2["usage"] == {"users": {"active_month": 0}}
    assert v2["contact"]["account"] is None

"""Every route answers with and without a trailing slash (Mastodon.py asks for
`/api/v1/instance/`, toot opens `/oauth/authorize/`), with the same handler and methods."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from aiohttp.web_urldispatcher import DynamicResource, PlainResource

from tests.conftest import MakeMember


@pytest.mark.parametrize(
    "path",
    ["/api/v1/instance", "/api/v2/instance", "/.well-known/nodeinfo", "/nodeinfo/2.1",
     "/auth/sign_in", "/.well-known/host-meta"],
)  # fmt: skip
async def test_plain_paths_answer_with_a_trailing_slash(client: TestClient, path: str) -> None:
    bare = await client.get(path, allow_redirects=False)
    slashed = await client.get(path + "/", allow_redirects=False)
    assert bare.status == slashed.status == 200
    assert bare.headers["Content-Type"] == slashed.headers["Content-Type"]


async def test_paths_with_ids_and_other_methods_answer_too(
    client: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    actor = await client.get("/users/alice/", headers={"Accept": "application/activity+json"})
    assert actor.status == 200
    assert (await actor.json())["preferredUsername"] == "alice"
    # A POST keeps its method and body: no redirect is involved.
    apps = await client.post(
        "/api/v1/apps/", json={"client_name": "Slash", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    )
    assert apps.status == 200
    assert (await apps.json())["name"] == "Slash"


def test_every_registered_path_has_its_twin(client: TestClient) -> None:
    paths = set()
    for resource in client.app.router.resources():
        info = resource.get_info()
        if isinstance(resource, PlainResource):
            paths.add(info["path"])
        elif isinstance(resource, DynamicResource):
            formatter = info["formatter"]
            # Variables with their own regex (`{key:.+}`) already match a trailing slash.
            default = DynamicResource(formatter).get_info()["pattern"].pattern
            if info["pattern"].pattern == default:
                paths.add(formatter)
    missing = sorted(p for p in paths if not p.endswith("/") and p + "/" not in paths)
    assert missing == []

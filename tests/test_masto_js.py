"""A member's day through a second, independent client library: masto.js (the JavaScript one
Elk and Phanpy are built on) run by Node against a live node. It parses our JSON with its own
camel-casing, follows our `Link` headers with its own paginator and turns our errors into
`MastoHttpError`s, so it catches what Mastodon.py's leniency would let through."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from content.compose import MAX_CHARACTERS
from tests.live import LiveNode
from tests.test_api_media import running_worker

JS = Path(__file__).parent / "js"
SCRIPT = JS / "member_day.mjs"


def tool(name: str) -> str:
    """The path of `name`, or a failure saying how to get it (never a skip)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"the masto.js test needs `{name}` on PATH: install Node.js 20+ and npm")
    return found


@pytest.fixture(scope="session")
def masto_js() -> Path:
    """tests/js/node_modules, installed once per run from the committed package-lock.json."""
    if not (JS / "node_modules" / "masto" / "package.json").exists():
        done = subprocess.run(
            [tool("npm"), "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in tests/js failed:\n{done.stdout}\n{done.stderr}")
    return JS / "node_modules"


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[LiveNode]:
    started = LiveNode(database_url, tmp_path / "media", domain=None).start()
    try:
        yield started
    finally:
        started.stop()


def run_day(node: LiveNode, alice: str, bob: str) -> dict[str, Any]:
    done = subprocess.run(
        [tool("node"), str(SCRIPT), node.base_url, alice, bob],
        cwd=JS,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"masto.js failed: {done.stderr}"
    summary: dict[str, Any] = json.loads(done.stdout)
    print(json.dumps(summary, indent=1))  # shown by pytest when an assertion fails
    return summary


def test_a_members_day_through_masto_js(node: LiveNode, masto_js: Path) -> None:
    alice = node.member("alice", display_name="Alice")
    bob = node.member("bob", display_name="Bob")
    with running_worker(node):
        day = run_day(node, node.token(alice), node.token(bob))

    # Ids are strings, as Mastodon sends them (JavaScript numbers would lose digits).
    ids = [day["me"]["id"], day["post"]["id"], day["reply"]["id"], day["actions"]["reblogId"]]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert day["me"] == {"id": str(alice.account.id), "username": "alice", "acct": "alice"}

    profile = day["profile"]
    assert profile["displayName"] == "Alice from masto.js"
    assert profile["fields"] == [{"name": "Team", "value": "Payments"}]
    assert profile["sourceFields"] == [{"name": "Team", "value": "Payments"}]

    post = day["post"]
    assert post["spoilerText"] == "work talk"
    assert post["visibility"] == "unlisted"
    assert post["sensitive"] is True
    assert "Quarterly numbers are in" in post["content"]

    assert day["reply"]["inReplyToId"] == post["id"]
    assert day["reply"]["inReplyToAccountId"] == day["me"]["id"]
    actions = day["actions"]
    assert actions["favourited"] is True and actions["favouritesCount"] == 1
    assert actions["reblogOf"] == post["id"] and actions["reblogId"] != post["id"]
    assert actions["reblogged"] is True and actions["bookmarked"] is True
    assert day["bookmarks"] == [post["id"]]

    edit = day["edit"]
    assert edit["editedAt"] is not None
    assert "they are good" in edit["content"]
    assert edit["source"] == "Quarterly numbers are in, and they are good"
    assert len(edit["versions"]) == 2
    assert "they are good" not in edit["versions"][0]
    assert "they are good" in edit["versions"][-1]

    after = day["afterEdit"]
    assert after["favouritedBy"] == ["bob"]
    # Bob boosted the post, so Mastodon tells him it was edited; the type filter keeps only that.
    assert after["bobHears"] == [{"type": "update", "status": post["id"]}]
    assert after["unfavourited"] is False and after["favouritesCount"] == 0
    assert after["unbookmarked"] is False

    assert day["context"] == {"ancestors": [], "descendants": [day["reply"]["id"]]}

    # Alice's six posts (Bob's boost is not hers to see: she does not follow him yet) in pages
    # of two, newest first. The paginator follows `Link: rel="next"` until a page comes without
    # one: as on Mastodon, the empty page after the last full one.
    pages = day["timeline"]["pages"]
    assert [len(page) for page in pages] == [2, 2, 2, 0]
    seen = [status for page in pages for status in page]
    assert post["id"] in seen
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)
    assert day["timeline"]["firstPage"] == pages[0]

    # The favourite's notification went with the favourite, as on Mastodon.
    notifications = day["notifications"]
    kinds = [(n["type"], n["account"]) for n in notifications["all"]]
    assert kinds == [("reblog", "bob"), ("mention", "bob")]
    assert notifications["all"][1]["status"] == day["reply"]["id"]
    assert notifications["mentions"] == ["mention"]
    assert notifications["pages"] == [[n["id"]] for n in notifications["all"]] + [[]]

    assert "bob" in day["search"]["accounts"]
    assert day["search"]["statuses"] == 0 and day["search"]["hashtags"] == 0

    follow = day["follow"]
    assert follow["followed"] is True and follow["following"] is True
    assert follow["relationshipId"] == day["bob"]["id"]
    assert follow["followers"] == ["alice"]
    assert follow["unfollowed"] is False and follow["followingAfter"] is False

    media = day["media"]
    assert media["type"] == "image" and media["description"] == "A blue dot"
    assert media["url"].startswith(node.base_url + "/")
    assert media["attached"] == [media["id"]] and media["language"] == "en"
    assert media["retriedId"] == day["lookup"]["statuses"][0]
    # Without replies, newest first: the post with the picture, then the last two updates.
    assert day["lookup"]["id"] == day["me"]["id"]
    assert day["lookup"]["statuses"][1:] == pages[0]
    assert len(day["lookup"]["statuses"]) == 3
    assert day["markers"] == {"home": post["id"]}

    instance = day["instance"]
    assert instance["domain"] == f"127.0.0.1:{node.port}"
    assert "Rukun" in instance["version"]
    assert instance["maxCharacters"] == MAX_CHARACTERS
    assert day["pages"] == {
        "about": "",
        "tag": {"name": "QuarterlyNumbers", "following": False, "history": []},
    }

    # Our Mastodon-shaped errors reach the app as MastoHttpError with the server's message.
    assert day["tooLong"]["statusCode"] == 422
    assert str(MAX_CHARACTERS) in day["tooLong"]["error"]
    assert day["badToken"] == {"statusCode": 401, "error": "The access token is invalid"}
    assert day["deleted"]["id"] == day["reply"]["id"]
    assert day["deleted"]["text"] == "@alice congratulations!"
    assert day["deleted"]["afterwards"]["statusCode"] == 404
    assert day["deleted"]["afterwards"]["error"]

"""Real payloads from other servers (`../shared/fixtures/activities/`, see its index.json):
each is parsed, and each activity is delivered signed to a node, processed, and either
handled or deliberately ignored (or refused, when it breaks the origin rules), with the
reason asserted. One test per file.

The sending actor is cached as a partner before delivery and a local member follows it, so
posts are stored (not dropped as concerning nobody). Everything the handlers would fetch
lives on hosts mapped to a closed port: nothing leaves the machine."""

from __future__ import annotations

import json
import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from actors.site import Site
from content.sanitise import html_to_text, sanitise_article_html
from content.status_views import load_status_views
from federation.as2_objects import (
    POST_TYPES,
    ObjectError,
    parse_activity,
    parse_post,
    type_of,
)
from tests.conftest import MakeMember
from tests.inbox_expectations import EXPECTED, KEPT_IN_FULL
from tests.inbox_helpers import deliver, drain, offline_config, remote_actor
from tests.shared_files import ACTIVITY_FIXTURES
from web.config import WebConfig
from web.mastodon.entities.statuses import render_status

INDEX: list[dict[str, Any]] = json.loads((ACTIVITY_FIXTURES / "index.json").read_text())


def _load(entry: dict[str, Any]) -> Any:
    return json.loads((ACTIVITY_FIXTURES / entry["path"]).read_text(encoding="utf-8"))


def _is_activity(document: Any) -> bool:
    try:
        parse_activity(document)
    except ObjectError:
        return False
    return True


ACTIVITIES = [entry for entry in INDEX if _is_activity(_load(entry))]
OTHERS = [entry for entry in INDEX if entry not in ACTIVITIES]
HOSTS = sorted(
    {
        host
        for entry in INDEX
        for host in re.findall(
            r"https?://([^/\"\s?#\\]+)", (ACTIVITY_FIXTURES / entry["path"]).read_text()
        )
    }
)


def test_every_listed_file_has_an_expectation() -> None:
    assert len(INDEX) > 150
    assert {entry["path"] for entry in INDEX} == set(EXPECTED)


@pytest.mark.parametrize("entry", OTHERS, ids=[entry["path"] for entry in OTHERS])
def test_an_object_that_is_not_an_activity_is_parsed_or_refused(entry: dict[str, Any]) -> None:
    document = _load(entry)
    with pytest.raises(ObjectError):
        parse_activity(document)
    expected = EXPECTED[entry["path"]]
    if type_of(document) in POST_TYPES:
        post = parse_post(document)
        assert expected == "post"
        assert post.id == document["id"]
        assert post.content or post.name or post.attachments
    else:
        assert expected == "not an activity", type_of(document)


@pytest.fixture
def web_config(site: Site) -> WebConfig:
    return WebConfig(
        site=site,
        max_body_bytes=1024 * 1024,
        client=offline_config(HOSTS),
        federation_mode="open",
    )


async def _outcome(conn: asyncpg.Connection) -> str:
    row = await conn.fetchrow("SELECT state, last_error FROM inbound_activities")
    if row is None:
        return "dropped"
    return f"{row['state']}: {row['last_error']}" if row["last_error"] else row["state"]


@pytest.mark.parametrize("entry", ACTIVITIES, ids=[entry["path"] for entry in ACTIVITIES])
async def test_an_activity_is_handled_or_deliberately_ignored(
    *,
    entry: dict[str, Any],
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    make_member: MakeMember,
) -> None:
    # Given the sender, cached as fetched, followed by a member here
    document = _load(entry)
    activity = parse_activity(document)
    sender = await remote_actor(conn, activity.actor)
    follower = await make_member("follower")
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        follower.account.id,
        sender.id,
    )

    # When the activity is delivered, signed by its actor, and processed
    status, body = await deliver(client, sender, document)
    if status == 202:
        await drain(pool, web_config)
        outcome = await _outcome(conn)
    else:
        outcome = f"refused {status}: {body['error']}"

    # Then it ends as expected for this file, never failed and never left queued
    assert outcome == EXPECTED[entry["path"]]
    if outcome == "done" and activity.type == "Create":
        post = parse_post(activity.embedded)
        stored = await conn.fetchrow(
            "SELECT content, local, account_id, visibility FROM statuses WHERE uri = $1", post.id
        )
        assert stored is not None and not stored["local"]
        assert stored["account_id"] == sender.id
        assert "<script" not in stored["content"]
        # The follower sees it at home, unless it is a direct message to someone else.
        in_feed = await conn.fetchval(
            "SELECT count(*) FROM home_feed h JOIN statuses s ON s.id = h.status_id"
            " WHERE h.account_id = $1 AND s.uri = $2",
            follower.account.id,
            post.id,
        )
        assert in_feed == (0 if stored["visibility"] == "direct" else 1)


def _as_create(document: dict[str, Any]) -> dict[str, Any]:
    """A bare post as its server delivers it: in a Create from its author."""
    if type_of(document) == "Create":
        return document
    post = parse_post(document)
    assert post.attributed_to is not None
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{post.id}#create",
        "type": "Create",
        "actor": post.attributed_to,
        "to": document.get("to"),
        "cc": document.get("cc"),
        "object": document,
    }


@pytest.mark.parametrize("path", sorted(KEPT_IN_FULL))
async def test_a_long_form_post_is_kept_in_full_with_its_title_and_summary(
    *,
    path: str,
    client: TestClient,
    conn: asyncpg.Connection,
    pool: asyncpg.Pool,
    web_config: WebConfig,
    site: Site,
    make_member: MakeMember,
) -> None:
    # Given the author, cached, followed by a member here
    activity = _as_create(_load({"path": path}))
    post = parse_post(parse_activity(activity).embedded)
    sender = await remote_actor(conn, parse_activity(activity).actor)
    follower = await make_member("follower")
    await conn.execute(
        "INSERT INTO follows (account_id, target_account_id) VALUES ($1, $2)",
        follower.account.id,
        sender.id,
    )

    # When the Article or Page is delivered and processed
    status, body = await deliver(client, sender, activity)
    assert status == 202, body
    await drain(pool, web_config)
    assert await _outcome(conn) == "done"

    # Then it is stored whole: title, summary (not a content warning), every word of the body
    row = await conn.fetchrow(
        "SELECT id, kind, title, summary, spoiler_text, content, text FROM statuses WHERE uri = $1",
        post.id,
    )
    assert row is not None
    assert (row["kind"], row["title"]) == ("article", KEPT_IN_FULL[path])
    assert row["summary"] == html_to_text(post.summary or "")
    assert row["spoiler_text"] == ""
    assert row["content"] == sanitise_article_html(post.content, None)
    assert "<script" not in row["content"]
    original_words = html_to_text(post.content).split()
    assert row["text"].split() == original_words
    # Apps see its title, summary and a link to the whole of it on this node
    views = await load_status_views(conn, [row["id"]], follower.account.id)
    shown = render_status(views[row["id"]], site, follower.account.id)
    assert f"<strong>{KEPT_IN_FULL[path]}" in shown["content"].replace("&#x27;", "'")
    assert f'/articles/{row["id"]}">Read the article</a>' in shown["content"]
    assert shown["rukun"]["kind"] == "article"
    assert shown["rukun"]["title"] == KEPT_IN_FULL[path]
    assert shown["spoiler_text"] == ""

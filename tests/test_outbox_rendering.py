"""The ActivityStreams this node sends: Notes and activities in Mastodon's shapes, read back
by the parser our own inbox uses, expanded as JSON-LD with only the bundled contexts, and a
stored status rendered with its mentions, tags, reply and media."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from pyld import jsonld

from actors.accounts import ACCOUNT_COLUMNS, Account, account_from_row
from actors.site import Site
from content.compose import Draft
from federation.as2_objects import parse_activity, parse_post, visibility_of
from federation.contexts import document_loader
from federation.jsonld_guard import check_context
from outbox.as2 import activities
from outbox.as2.context import PUBLIC
from outbox.as2.note import (
    Attachment,
    Hashtag,
    Mention,
    NoteData,
    NotFederated,
    audience,
    render_note,
)
from outbox.posting import do_post
from outbox.status_documents import load_note
from tests.conftest import MakeMember

AS = "https://www.w3.org/ns/activitystreams#"
ALICE = "https://a.test/users/alice"
FOLLOWERS = f"{ALICE}/followers"
BOB = "https://b.test/users/bob"
PUBLISHED = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)
EDITED = datetime(2026, 3, 1, 13, 0, 0, tzinfo=UTC)


def note(**changes: Any) -> NoteData:
    base: dict[str, Any] = {
        "id": f"{ALICE}/statuses/1",
        "url": "https://a.test/@alice/1",
        "attributed_to": ALICE,
        "followers_url": FOLLOWERS,
        "visibility": "public",
        "content": "<p>Hello <span>@bob</span> <a>#Rukun</a></p>",
        "published": PUBLISHED,
    }
    return NoteData(**{**base, **changes})


def expanded(document: dict[str, Any]) -> dict[str, Any]:
    """The document as JSON-LD, with the bundled contexts only (no network)."""
    (node,) = jsonld.expand(document, {"documentLoader": document_loader})
    result: dict[str, Any] = node
    return result


# -- addressing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [PUBLIC], [FOLLOWERS, BOB]),
        ("unlisted", [FOLLOWERS], [PUBLIC, BOB]),
        ("private", [FOLLOWERS], [BOB]),
        ("direct", [BOB], []),
    ],
)
def test_addressing_follows_visibility_and_reads_back_the_same(
    visibility: str, to: list[str], cc: list[str]
) -> None:
    assert audience(visibility, FOLLOWERS, [BOB, BOB]) == (to, cc)
    # What a receiving Rukun (and Mastodon) makes of that addressing is the same visibility.
    assert visibility_of(tuple(to), tuple(cc), FOLLOWERS) == visibility


def test_local_statuses_have_no_federated_form() -> None:
    with pytest.raises(NotFederated):
        audience("local", FOLLOWERS, [])
    with pytest.raises(NotFederated):
        render_note(note(visibility="local"))


# -- notes ------------------------------------------------------------------------------------


def test_a_note_in_mastodons_shape() -> None:
    rendered = render_note(
        note(
            summary="spoiler",
            sensitive=True,
            language="en",
            updated=EDITED,
            in_reply_to=f"{BOB}/statuses/9",
            mentions=(Mention(BOB, "@bob@b.test"),),
            hashtags=(Hashtag("https://a.test/tags/rukun", "Rukun"),),
            attachments=(
                Attachment(
                    media_type="image/png",
                    url="https://a.test/system/abc.png",
                    description="a cat",
                    blurhash="LEHV6nWB2yk8",
                    width=640,
                    height=480,
                    focus=(0.5, -0.25),
                ),
            ),
        )
    )
    assert rendered["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert {key: value for key, value in rendered.items() if key != "@context"} == {
        "id": f"{ALICE}/statuses/1",
        "type": "Note",
        "summary": "spoiler",
        "inReplyTo": f"{BOB}/statuses/9",
        "published": "2026-03-01T12:30:15Z",
        "updated": "2026-03-01T13:00:00Z",
        "url": "https://a.test/@alice/1",
        "attributedTo": ALICE,
        "to": [PUBLIC],
        "cc": [FOLLOWERS, BOB],
        "sensitive": True,
        "content": "<p>Hello <span>@bob</span> <a>#Rukun</a></p>",
        "contentMap": {"en": "<p>Hello <span>@bob</span> <a>#Rukun</a></p>"},
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/png",
                "url": "https://a.test/system/abc.png",
                "name": "a cat",
                "blurhash": "LEHV6nWB2yk8",
                "focalPoint": [0.5, -0.25],
                "width": 640,
                "height": 480,
            }
        ],
        "tag": [
            {"type": "Mention", "href": BOB, "name": "@bob@b.test"},
            {"type": "Hashtag", "href": "https://a.test/tags/rukun", "name": "#Rukun"},
        ],
    }


def test_a_plain_note_leaves_out_what_it_does_not_have() -> None:
    rendered = render_note(note(visibility="private"))
    assert rendered["summary"] is None and rendered["inReplyTo"] is None
    assert "contentMap" not in rendered and "updated" not in rendered
    assert rendered["attachment"] == [] and rendered["tag"] == []
    assert (rendered["to"], rendered["cc"]) == ([FOLLOWERS], [])


def test_our_parser_reads_our_note_as_written() -> None:
    rendered = render_note(
        note(
            summary="cw",
            sensitive=True,
            language="en",
            in_reply_to=f"{BOB}/statuses/9",
            mentions=(Mention(BOB, "@bob@b.test"),),
            hashtags=(Hashtag("https://a.test/tags/rukun", "Rukun"),),
            attachments=(
                Attachment("image/jpeg", "https://a.test/system/x.jpg", "alt", None, 10, 20),
            ),
        )
    )
    post = parse_post(rendered)
    assert (post.id, post.type, post.attributed_to) == (rendered["id"], "Note", ALICE)
    assert (post.summary, post.sensitive, post.language) == ("cw", True, "en")
    assert post.in_reply_to == f"{BOB}/statuses/9"
    assert post.mentions == (BOB,) and post.hashtags == ("Rukun",)
    (media,) = post.attachments
    assert (media.url, media.media_type, media.description) == (
        "https://a.test/system/x.jpg",
        "image/jpeg",
        "alt",
    )
    assert (media.width, media.height) == (10, 20)
    assert post.published == PUBLISHED.replace(microsecond=0)


def test_the_context_defines_every_extension_term() -> None:
    rendered = render_note(
        note(
            sensitive=True,
            hashtags=(Hashtag("https://a.test/tags/rukun", "Rukun"),),
            attachments=(
                Attachment(
                    "image/png", "https://a.test/system/a.png", "", "HASH", focus=(0.1, 0.2)
                ),
            ),
        )
    )
    assert check_context(rendered) == "compact"  # receivers take the fast path
    node = expanded(rendered)
    assert node["@type"] == [f"{AS}Note"]
    assert node[f"{AS}sensitive"] == [{"@value": True}]
    assert node[f"{AS}tag"][0]["@type"] == [f"{AS}Hashtag"]
    (document,) = node[f"{AS}attachment"]
    assert document["http://joinmastodon.org/ns#blurhash"] == [{"@value": "HASH"}]
    assert document["http://joinmastodon.org/ns#focalPoint"] == [
        {"@list": [{"@value": 0.1}, {"@value": 0.2}]}
    ]


# -- activities -------------------------------------------------------------------------------


def test_create_and_update_wrap_the_note_with_its_audience() -> None:
    rendered = render_note(note(visibility="unlisted", updated=EDITED))
    create = activities.create(rendered)
    assert create["id"] == f"{ALICE}/statuses/1/activity"
    assert (create["type"], create["actor"], create["published"]) == (
        "Create",
        ALICE,
        "2026-03-01T12:30:15Z",
    )
    assert (create["to"], create["cc"]) == ([FOLLOWERS], [PUBLIC])
    assert "@context" not in create["object"] and create["object"]["id"] == rendered["id"]

    update = activities.update_note(rendered, EDITED)
    assert update["id"] == f"{ALICE}/statuses/1#updates/{int(EDITED.timestamp() * 1000)}"
    assert (update["type"], update["published"]) == ("Update", "2026-03-01T13:00:00Z")
    assert parse_activity(update).object_id == rendered["id"]


def test_delete_is_a_tombstone_addressed_to_public() -> None:
    delete = activities.delete(ALICE, f"{ALICE}/statuses/1")
    assert delete["id"] == f"{ALICE}/statuses/1#delete"
    assert delete["to"] == [PUBLIC]
    assert delete["object"] == {
        "id": f"{ALICE}/statuses/1",
        "type": "Tombstone",
        "atomUri": f"{ALICE}/statuses/1",
    }


def test_announce_and_its_undo() -> None:
    announce = activities.announce(
        ALICE,
        boost_uri=f"{ALICE}/statuses/7",
        object_id=f"{BOB}/statuses/9",
        published=PUBLISHED,
        to=[PUBLIC],
        cc=[BOB, FOLLOWERS],
    )
    assert announce["id"] == f"{ALICE}/statuses/7/activity"
    assert announce["object"] == f"{BOB}/statuses/9"
    undo = activities.undo(announce)
    assert undo["id"] == f"{ALICE}/statuses/7/activity/undo"
    assert (undo["type"], undo["actor"], undo["to"], undo["cc"]) == (
        "Undo",
        ALICE,
        [PUBLIC],
        [BOB, FOLLOWERS],
    )
    assert undo["object"] == {k: v for k, v in announce.items() if k != "@context"}
    parsed = parse_activity(undo)
    assert (parsed.type, parsed.object_id) == ("Undo", announce["id"])


def test_like_follow_block_and_their_ids() -> None:
    like = activities.like(ALICE, 42, f"{BOB}/statuses/9")
    assert (like["id"], like["object"]) == (f"{ALICE}#likes/42", f"{BOB}/statuses/9")
    assert activities.undo(like)["id"] == f"{ALICE}#likes/42/undo"

    follow = activities.follow(activities.follow_id(ALICE, "abc"), ALICE, BOB)
    assert (follow["id"], follow["object"]) == (f"{ALICE}#follows/abc", BOB)
    assert activities.undo(follow)["object"]["id"] == f"{ALICE}#follows/abc"

    block = activities.block(ALICE, 7, BOB)
    assert (block["id"], block["type"], block["object"]) == (f"{ALICE}#blocks/7", "Block", BOB)
    for document in (like, follow, block, activities.undo(block)):
        assert expanded(document)["@id"] == document["id"]


def test_accept_and_reject_embed_the_follow_with_stable_ids() -> None:
    received = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{BOB}#follows/1",
        "type": "Follow",
        "actor": BOB,
        "object": ALICE,
    }
    accept = activities.accept(ALICE, received)
    assert accept["id"].startswith(f"{ALICE}#accepts/follows/")
    assert accept["object"] == {k: v for k, v in received.items() if k != "@context"}
    assert activities.accept(ALICE, received)["id"] == accept["id"]
    another = activities.accept(ALICE, {**received, "id": f"{BOB}#follows/2"})
    assert another["id"] != accept["id"]
    reject = activities.reject(ALICE, received)
    assert reject["type"] == "Reject" and reject["id"].startswith(f"{ALICE}#rejects/follows/")
    # A follow whose id was not kept is named by its two parties.
    rebuilt = activities.follow_object(None, BOB, ALICE)
    assert rebuilt == {"type": "Follow", "actor": BOB, "object": ALICE}
    assert parse_activity(activities.accept(ALICE, rebuilt)).type == "Accept"


def test_pins_are_add_and_remove_on_the_featured_collection() -> None:
    add = activities.featured_change("Add", ALICE, f"{ALICE}/featured", f"{ALICE}/statuses/1", "t")
    assert add == {
        "@context": add["@context"],
        "id": f"{ALICE}#featured/add/t",
        "type": "Add",
        "actor": ALICE,
        "target": f"{ALICE}/featured",
        "object": f"{ALICE}/statuses/1",
    }
    remove = activities.featured_change("Remove", ALICE, f"{ALICE}/featured", "x", "t")
    assert remove["id"] == f"{ALICE}#featured/remove/t"
    with pytest.raises(ValueError, match="Move"):
        activities.featured_change("Move", ALICE, "f", "x", "t")


def test_update_of_the_actor_embeds_it() -> None:
    actor = {"@context": ["x"], "id": ALICE, "type": "Person", "preferredUsername": "alice"}
    update = activities.update_actor(actor, EDITED)
    assert update["id"] == f"{ALICE}#updates/{int(EDITED.timestamp() * 1000)}"
    assert update["object"] == {"id": ALICE, "type": "Person", "preferredUsername": "alice"}
    assert (update["actor"], update["to"]) == (ALICE, [PUBLIC])


# -- a stored status --------------------------------------------------------------------------


async def remote_account(conn: asyncpg.Connection, username: str, domain: str) -> Account:
    row = await conn.fetchrow(
        f"""INSERT INTO accounts (username, domain, public_key_pem, uri, url, inbox_url,
                                  shared_inbox_url)
            VALUES ($1, $2, 'PEM', $3, $3, $3 || '/inbox', 'https://' || $2 || '/inbox')
            RETURNING {ACCOUNT_COLUMNS}""",
        username,
        domain,
        f"https://{domain}/users/{username}",
    )
    return account_from_row(row)


async def test_a_stored_status_renders_with_its_parts(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    # Given: a remote status, and alice's reply mentioning its author and carol, with a tag
    alice = (await make_member("alice")).account
    await make_member("carol")
    bob = await remote_account(conn, "bob", "b.example")
    parent_id = await conn.fetchval(
        """INSERT INTO statuses (account_id, uri, local, visibility, text, content)
           VALUES ($1, 'https://b.example/users/bob/statuses/9', false, 'public', 'hi', 'hi')
           RETURNING id""",
        bob.id,
    )
    media_id = await conn.fetchval(
        """INSERT INTO media_attachments (account_id, type, state, file_key, content_type, meta,
                                          description, blurhash, focus_x, focus_y)
           VALUES ($1, 'image', 'ready', 'k/abc.png', 'image/png',
                   '{"original": {"width": 8, "height": 6}}', 'a dot', 'HASH', 0.25, 0)
           RETURNING id""",
        alice.id,
    )
    status = await do_post(
        conn,
        site,
        alice.id,
        Draft(
            text="@bob@b.example @carol hello #Rukun",
            visibility="unlisted",
            language="en",
            in_reply_to_id=parent_id,
            media_ids=(media_id,),
        ),
    )

    # When
    rendered = await load_note(conn, site, status, "alice")

    # Then
    alice_url = site.actor_url("alice")
    assert rendered["id"] == site.status_uri("alice", status.id)
    assert rendered["url"] == site.status_url("alice", status.id)
    assert rendered["attributedTo"] == alice_url
    assert rendered["inReplyTo"] == "https://b.example/users/bob/statuses/9"
    assert rendered["to"] == [site.followers_url("alice")]
    assert rendered["cc"] == [PUBLIC, bob.uri, site.actor_url("carol")]
    assert rendered["contentMap"] == {"en": status.content}
    assert rendered["tag"] == [
        {"type": "Mention", "href": bob.uri, "name": "@bob@b.example"},
        {"type": "Mention", "href": site.actor_url("carol"), "name": f"@carol@{site.domain}"},
        {"type": "Hashtag", "href": site.tag_url("Rukun"), "name": "#Rukun"},
    ]
    assert rendered["attachment"] == [
        {
            "type": "Document",
            "mediaType": "image/png",
            "url": site.media_url("k/abc.png"),
            "name": "a dot",
            "blurhash": "HASH",
            "focalPoint": [0.25, 0.0],
            "width": 8,
            "height": 6,
        }
    ]


async def test_an_internal_status_is_never_rendered(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    status = await do_post(conn, site, alice.id, Draft(text="staff only", visibility="local"))
    with pytest.raises(NotFederated):
        await load_note(conn, site, status, "alice")


# -- articles ---------------------------------------------------------------------------------


def test_an_article_carries_its_title_summary_html_and_markdown_source() -> None:
    rendered = render_note(
        note(
            kind="article",
            title="Quarterly report",
            summary="What we shipped",
            url="https://a.test/@alice/articles/1",
            content="<h2>Shipped</h2><p>Everything</p>",
            markdown="## Shipped\n\nEverything",
        )
    )
    assert rendered["type"] == "Article"
    assert rendered["name"] == "Quarterly report"
    assert rendered["summary"] == "What we shipped"
    assert rendered["mediaType"] == "text/html"
    assert rendered["source"] == {
        "content": "## Shipped\n\nEverything",
        "mediaType": "text/markdown",
    }
    assert rendered["url"] == "https://a.test/@alice/articles/1"
    assert check_context(rendered) == "compact"
    node = expanded(rendered)
    assert node["@type"] == [f"{AS}Article"]
    assert node[f"{AS}name"] == [{"@value": "Quarterly report"}]
    # Our own inbox reads it back as an article, summary as a summary
    post = parse_post(rendered)
    assert (post.type, post.name) == ("Article", "Quarterly report")
    assert post.summary == "What we shipped"
    assert post.content == "<h2>Shipped</h2><p>Everything</p>"


async def test_a_stored_article_renders_whole_with_its_page_and_images(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    media_id = await conn.fetchval(
        """INSERT INTO media_attachments (account_id, type, state, file_key, content_type)
           VALUES ($1, 'image', 'ready', 'k/chart.png', 'image/png') RETURNING id""",
        alice.id,
    )
    body = f"# Results\n\n![the chart](media:{media_id})\n\n<script>alert(1)</script>"
    status = await do_post(
        conn,
        site,
        alice.id,
        Draft(kind="article", title="Results", summary="In short", text=body, language="en"),
    )

    rendered = await load_note(conn, site, status, "alice")

    assert rendered["type"] == "Article"
    assert rendered["url"] == f"{site.base_url}/@alice/articles/{status.id}"
    assert (rendered["name"], rendered["summary"]) == ("Results", "In short")
    assert rendered["source"] == {"content": body, "mediaType": "text/markdown"}
    assert "<h1>Results</h1>" in rendered["content"]
    assert f'<img src="{site.media_url("k/chart.png")}" alt="the chart">' in rendered["content"]
    assert "<script" not in rendered["content"]
    assert "&lt;script&gt;" in rendered["content"]
    # The image named in the body is attached, so other servers can show it too
    assert [a["url"] for a in rendered["attachment"]] == [site.media_url("k/chart.png")]
    assert rendered["sensitive"] is False


async def test_an_internal_article_is_never_rendered(
    conn: asyncpg.Connection, make_member: MakeMember, site: Site
) -> None:
    alice = (await make_member("alice")).account
    status = await do_post(
        conn,
        site,
        alice.id,
        Draft(kind="article", title="Staff", text="Only us", visibility="local"),
    )
    with pytest.raises(NotFederated):
        await load_note(conn, site, status, "alice")

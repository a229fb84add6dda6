"""Reading inbound posts and activities as servers really write them (pure: no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from federation.as2_objects import (
    PUBLIC,
    ObjectError,
    parse_activity,
    parse_post,
    visibility_of,
)
from federation.jsonld_guard import ContextRefusedError, check_context
from tests.shared_files import ACTIVITY_FIXTURES


def fixture(path: str) -> Any:
    return json.loads((ACTIVITY_FIXTURES / path).read_text(encoding="utf-8"))


def test_a_mastodon_note_with_a_content_warning_and_a_mention() -> None:
    post = parse_post(fixture("mastodon/create_note.json")["object"])
    assert post.id == "http://mastodon.example.org/users/admin/statuses/99512778738411822"
    assert post.attributed_to == "http://mastodon.example.org/users/admin"
    assert (post.summary, post.sensitive) == ("cw", True)
    assert post.mentions == ("http://localtesting.pleroma.lol/users/lain",)
    assert post.in_reply_to is None
    assert post.published == datetime(2018, 2, 12, 14, 8, 20, tzinfo=UTC)


def test_single_objects_where_arrays_are_usual() -> None:
    # Owncast sends one attachment object and a bare string `to`
    owncast = parse_post(fixture("owncast/note_with_attachment.json"))
    assert owncast.to == (PUBLIC,)
    (attachment,) = owncast.attachments
    assert (attachment.type, attachment.description) == ("image", "Live stream preview")
    assert owncast.hashtags == ("owncast", "streaming")
    # Kroeg sends one tag object
    kroeg = parse_activity(fixture("kroeg/create_note_tag_not_array_emoji.json"))
    assert [tag.type for tag in parse_post(kroeg.embedded).tags] == ["Emoji"]


def test_arrays_of_inline_actors_and_link_urls() -> None:
    activity = parse_activity(fixture("prismo/create_article_url_array.json"))
    assert activity.actor == "https://prismo.news/@mxb"
    post = parse_post(activity.embedded)
    assert post.attributed_to == "https://prismo.news/@mxb"
    assert post.url == "https://prismo.news/posts/83"
    assert post.name == "Introducing: Federated follows!"


def test_a_question_keeps_its_options_and_a_vote_is_recognised() -> None:
    poll = parse_post(fixture("mastodon/create_question_poll.json")["object"])
    assert poll.poll_options[:2] == ("Dunno", "Everyone knows that!")
    assert poll.language == "en"
    vote = parse_post(fixture("mastodon/create_poll_vote.json")["object"])
    assert vote.is_poll_vote


def test_content_from_content_map_alone() -> None:
    post = parse_post(
        {"id": "https://x.test/1", "type": "Note", "contentMap": {"de": "<p>Hallo</p>"}}
    )
    assert (post.content, post.language) == ("<p>Hallo</p>", "de")


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ((PUBLIC,), (), "public"),
        (("as:Public",), (), "public"),
        (("https://x.test/u/followers",), (PUBLIC,), "unlisted"),
        (("https://x.test/u/followers",), (), "private"),
        (("https://y.test/u/bob",), (), "direct"),
    ],
)
def test_visibility_from_addressing(
    to: tuple[str, ...], cc: tuple[str, ...], expected: str
) -> None:
    assert visibility_of(to, cc, "https://x.test/u/followers") == expected


@pytest.mark.parametrize(
    "document",
    [None, [], {"type": "Create"}, {"actor": "https://x.test/u"}, {"type": [], "actor": "a"}],
)
def test_what_is_not_an_activity(document: Any) -> None:
    with pytest.raises(ObjectError):
        parse_activity(document)


def test_not_a_post() -> None:
    with pytest.raises(ObjectError, match="Event is not a post"):
        parse_post({"id": "https://x.test/e", "type": "Event"})
    with pytest.raises(ObjectError, match="has no id"):
        parse_post({"type": "Note", "content": "x"})


def test_contexts_real_servers_send_are_read_compactly() -> None:
    for path in ("mastodon/create_note.json", "misskey/create_note.json", "mobilizon/event.json"):
        assert check_context(fixture(path)) == "compact"


def test_a_redefinition_inside_an_embedded_object_is_refused() -> None:
    document = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "actor": "https://x.test/u",
        "object": {"@context": {"attributedTo": "https://evil.test/by"}, "type": "Note"},
    }
    with pytest.raises(ContextRefusedError, match="attributedTo"):
        check_context(document)


def test_aliases_are_left_to_json_ld_compaction() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/activitystreams", {"who": "as:actor"}],
        "type": "Like",
        "who": "https://x.test/u",
    }
    assert check_context(document) == "jsonld"  # tests/test_jsonld.py compacts it

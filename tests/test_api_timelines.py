"""Timelines through Mastodon.py against a live node: home (paging both ways, the Link header,
since_id and min_id, what blocks, mutes, deletions and visibility take away at read time),
the public timeline (local and remote), hashtag timelines, and the timelines Rukun lacks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from mastodon import Mastodon
from PIL import Image

from actors.accounts import Member
from tests.live import LiveNode

BASE = "https://rukun.test"


@dataclass
class Person:
    member: Member
    token: str
    api: Mastodon

    @property
    def id(self) -> int:
        return self.member.account.id


def person(node: LiveNode, name: str, scopes: str = "read write follow push") -> Person:
    member = node.member(name)
    token = node.token(member, scopes)
    return Person(member, token, node.mastodon(token))


def ids(statuses: list[Any]) -> list[str]:
    return [str(status["id"]) for status in statuses]


def raw_get(node: LiveNode, path: str, token: str | None, **params: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(node.base_url + path, params=params, headers=headers, timeout=10)


def test_home_pages_forward_and_back_with_mastodons_link_header(live_node: LiveNode) -> None:
    # Given alice follows bob and carol, who post, and alice posts too
    alice, bob, carol = (person(live_node, n) for n in ("alice", "bob", "carol"))
    alice.api.account_follow(bob.id)
    alice.api.account_follow(carol.id)
    posted = [str(bob.api.status_post(f"bob says {i}")["id"]) for i in range(4)]
    posted.append(str(carol.api.status_post("carol says hi")["id"]))
    posted.append(str(alice.api.status_post("alice says hi")["id"]))
    posted.append(str(bob.api.status_post("bob again")["id"]))
    newest = posted[::-1]

    # When alice reads her home timeline three at a time
    first = alice.api.timeline_home(limit=3)
    second = alice.api.fetch_next(first)
    third = alice.api.fetch_next(second)

    # Then the pages follow each other, newest first, and end
    assert ids(first) == newest[:3]
    assert ids(second) == newest[3:6]
    assert ids(third) == newest[6:]
    assert not alice.api.fetch_next(third)
    # and going back from the second page gives the first again
    assert ids(alice.api.fetch_previous(second)) == newest[:3]

    # The Link header is Mastodon's, naming the node's public address
    response = raw_get(live_node, "/api/v1/timelines/home", alice.token, limit=3)
    assert response.headers["Link"] == (
        f'<{BASE}/api/v1/timelines/home?limit=3&max_id={newest[2]}>; rel="next", '
        f'<{BASE}/api/v1/timelines/home?limit=3&min_id={newest[0]}>; rel="prev"'
    )
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    # A token passed as a parameter is not repeated in the links
    by_parameter = raw_get(
        live_node, "/api/v1/timelines/home", None, limit=3, access_token=alice.token
    )
    assert by_parameter.status_code == 200
    assert alice.token not in by_parameter.headers["Link"]
    assert by_parameter.headers["Link"] == response.headers["Link"]
    # and an empty page has none
    empty = raw_get(live_node, "/api/v1/timelines/home", alice.token, min_id=newest[0])
    assert empty.json() == []
    assert "Link" not in empty.headers


def test_since_id_and_min_id_mean_what_they_mean_in_mastodon(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    posted = [str(alice.api.status_post(f"note {i}")["id"]) for i in range(6)]
    newest = posted[::-1]

    # since_id: the newest statuses above it
    assert ids(alice.api.timeline_home(since_id=posted[1], limit=2)) == newest[:2]
    # min_id: the statuses just above it, still newest first
    assert ids(alice.api.timeline_home(min_id=posted[1], limit=2)) == [posted[3], posted[2]]
    # max_id and min_id together: what lies between
    between = alice.api.timeline_home(max_id=posted[4], min_id=posted[0])
    assert ids(between) == [posted[3], posted[2], posted[1]]
    # limit is capped at 40
    many = raw_get(live_node, "/api/v1/timelines/home", alice.token, limit=500)
    assert many.status_code == 200
    assert len(many.json()) == 6


def test_home_hides_at_read_time_what_the_reader_should_no_longer_see(
    live_node: LiveNode,
) -> None:
    alice, bob, carol, dave, erin = (
        person(live_node, n) for n in ("alice", "bob", "carol", "dave", "erin")
    )
    alice.api.account_follow(bob.id)
    alice.api.account_follow(carol.id)
    private = bob.api.status_post("followers only", visibility="private")
    doomed = bob.api.status_post("soon deleted")
    by_dave = dave.api.status_post("dave's thought")
    by_erin = erin.api.status_post("erin's thought")
    boost_of_dave = carol.api.status_reblog(by_dave["id"])
    boost_of_erin = carol.api.status_reblog(by_erin["id"])
    home = ids(alice.api.timeline_home())
    assert {str(private["id"]), str(doomed["id"])} <= set(home)
    assert {str(boost_of_dave["id"]), str(boost_of_erin["id"])} <= set(home)
    # a boost shows the original inside
    shown = next(s for s in alice.api.timeline_home() if str(s["id"]) == str(boost_of_dave["id"]))
    assert str(shown["reblog"]["id"]) == str(by_dave["id"])

    # A deleted status leaves
    bob.api.status_delete(doomed["id"])
    assert str(doomed["id"]) not in ids(alice.api.timeline_home())

    # Blocking the boosted author hides the boost, which stays in the feed: unblocking
    # brings it back
    alice.api.account_block(dave.id)
    assert str(boost_of_dave["id"]) not in ids(alice.api.timeline_home())
    alice.api.account_unblock(dave.id)
    assert str(boost_of_dave["id"]) in ids(alice.api.timeline_home())

    # A timed mute hides boosts of the muted author until it expires
    alice.api.account_mute(erin.id, duration=3600)
    assert str(boost_of_erin["id"]) not in ids(alice.api.timeline_home())

    async def expire(conn: Any) -> None:
        await conn.execute(
            "UPDATE mutes SET expires_at = $1 WHERE account_id = $2",
            datetime.now(UTC) - timedelta(seconds=1),
            alice.id,
        )

    live_node.with_conn(expire)
    assert str(boost_of_erin["id"]) in ids(alice.api.timeline_home())

    # After unfollowing bob, his followers-only status is not alice's to read any more
    alice.api.account_unfollow(bob.id)
    assert str(private["id"]) not in ids(alice.api.timeline_home())


def test_public_timeline_shows_top_level_public_and_internal_statuses(
    live_node: LiveNode,
) -> None:
    alice, bob, carol = (person(live_node, n) for n in ("alice", "bob", "carol"))
    opener = alice.api.status_post("good morning")
    public = bob.api.status_post("a public note")
    bob.api.status_post("an unlisted note", visibility="unlisted")
    bob.api.status_post("a private note", visibility="private")
    bob.api.status_post("@carol a direct note", visibility="direct")
    # Mastodon.py knows no internal visibility; apps ask for it as glitch-soc's local_only
    internal = requests.post(
        live_node.base_url + "/api/v1/statuses",
        json={"status": "an internal note", "local_only": True},
        headers={"Authorization": f"Bearer {bob.token}"},
        timeout=10,
    ).json()
    bob.api.status_post("@alice a reply to alice", in_reply_to_id=opener["id"])
    thread = bob.api.status_post("and a thread of mine", in_reply_to_id=public["id"])
    carol.api.status_reblog(public["id"])

    expected = [str(s["id"]) for s in (thread, internal, public, opener)]
    local = carol.api.timeline_public(local=True)
    assert ids(local) == expected
    assert ids(carol.api.timeline_local()) == expected
    assert ids(carol.api.timeline_public()) == expected
    # internal statuses look public to apps, with glitch-soc's local_only flag
    shown = next(s for s in local if str(s["id"]) == str(internal["id"]))
    assert shown["visibility"] == "public"
    assert shown["local_only"] is True
    # nothing here is remote
    assert carol.api.timeline_public(remote=True) == []

    # Paging works as on home
    page = carol.api.timeline_public(local=True, limit=2)
    assert ids(page) == expected[:2]
    assert ids(carol.api.fetch_next(page)) == expected[2:]
    link = raw_get(live_node, "/api/v1/timelines/public", carol.token, local="true", limit=2)
    assert link.headers["Link"] == (
        f'<{BASE}/api/v1/timelines/public?local=true&limit=2&max_id={expected[1]}>; rel="next", '
        f'<{BASE}/api/v1/timelines/public?local=true&limit=2&min_id={expected[0]}>; rel="prev"'
    )

    # A muted or blocked author leaves the reader's public timeline
    carol.api.account_mute(bob.id)
    assert ids(carol.api.timeline_public(local=True)) == [str(opener["id"])]
    carol.api.account_unmute(bob.id)
    carol.api.account_block(alice.id)
    assert str(opener["id"]) not in ids(carol.api.timeline_public(local=True))
    # and an author who blocks a reader is hidden from that reader
    later = carol.api.status_post("carol speaks")
    assert str(later["id"]) in ids(bob.api.timeline_public(local=True))
    assert str(later["id"]) not in ids(alice.api.timeline_public(local=True))


def test_public_timeline_only_media(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(picture, "PNG")
    png = picture.getvalue()
    media = alice.api.media_post(png, mime_type="image/png", file_name="dot.png")
    live_node.drain()
    with_media = alice.api.status_post("a picture", media_ids=[media["id"]])
    alice.api.status_post("just words")
    assert ids(alice.api.timeline_public(only_media=True)) == [str(with_media["id"])]
    assert len(alice.api.timeline_public()) == 2


def test_hashtag_timeline(live_node: LiveNode) -> None:
    alice, bob, carol = (person(live_node, n) for n in ("alice", "bob", "carol"))
    first = bob.api.status_post("#Rukun is here")
    both = carol.api.status_post("#rukun and #extra")
    bob.api.status_post("#rukun for followers", visibility="private")
    reply = alice.api.status_post("#RUKUN indeed", in_reply_to_id=first["id"])
    other = carol.api.status_post("#other things")

    expected = [str(s["id"]) for s in (reply, both, first)]
    # case does not matter, replies are included, private statuses are not
    assert ids(alice.api.timeline_hashtag("rukun")) == expected
    assert ids(alice.api.timeline_hashtag("RUKUN", local=True)) == expected
    assert alice.api.timeline_hashtag("nobody-uses-this") == []
    page = alice.api.timeline_hashtag("rukun", limit=1)
    assert ids(alice.api.fetch_next(page)) == [expected[1]]

    def tagged(**params: Any) -> list[str]:
        response = raw_get(live_node, "/api/v1/timelines/tag/rukun", alice.token, **params)
        assert response.status_code == 200
        return ids(response.json())

    assert tagged(**{"any[]": ["other"]}) == [str(other["id"]), *expected]
    assert tagged(**{"all[]": ["extra"]}) == [str(both["id"])]
    assert tagged(**{"none[]": ["extra"]}) == [str(reply["id"]), str(first["id"])]
    # Mastodon ignores tags it does not know in all[]
    assert tagged(**{"all[]": ["unknown"]}) == expected


def test_timelines_need_a_token_with_the_right_scope(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    writer = live_node.token(alice.member, "write")
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/rukun",
        "/api/v1/timelines/list/1",
        "/api/v1/timelines/link",
        "/api/v1/timelines/direct",
    ):
        anonymous = raw_get(live_node, path, None)
        assert anonymous.status_code == 401, path
        assert anonymous.json() == {"error": "The access token is invalid"}
        assert raw_get(live_node, path, "not-a-token").status_code == 401
        refused = raw_get(live_node, path, writer)
        assert refused.status_code == 403, path
        assert refused.json() == {"error": "This action is outside the authorized scopes"}


def test_timelines_rukun_does_not_have_answer_like_mastodon(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    for path in (
        "/api/v1/timelines/list/12345",  # lists come later: none exists
        "/api/v1/timelines/direct",  # removed in Mastodon 3.0
        "/api/v1/timelines/link",  # nothing trends here
    ):
        response = raw_get(live_node, path, alice.token, url="https://example.com/")
        assert response.status_code == 404, path
        assert response.json() == {"error": "Record not found"}
        assert response.headers["Content-Type"].startswith("application/json")


def test_bad_paging_parameters_are_refused(live_node: LiveNode) -> None:
    alice = person(live_node, "alice")
    for params in ({"limit": "many"}, {"max_id": "newest"}, {"min_id": "-1"}, {"local": "maybe"}):
        response = raw_get(live_node, "/api/v1/timelines/public", alice.token, **params)
        assert response.status_code == 422, params
        assert response.json()["error"].startswith("Validation failed")

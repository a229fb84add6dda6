"""What apps read about the node: the instance documents (v1 and v2) that Mastodon.py's version
check depends on, rules, peers, activity, custom emoji and a member's preferences."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from actors.accounts import Member
from content.compose import MAX_CHARACTERS
from tests.live import LiveNode


def app(node: LiveNode, token: str | None = None) -> Mastodon:
    """Mastodon.py checking the node's version first, as an app would."""
    return Mastodon(api_base_url=node.base_url, access_token=token, version_check_mode="created")


def get(node: LiveNode, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{node.base_url}{path}", headers=headers, timeout=30)


def add_rules(node: LiveNode) -> None:
    node.with_conn(
        lambda conn: conn.executemany(
            "INSERT INTO instance_rules (text, hint, position) VALUES ($1, $2, $3)",
            [("Be kind", "Colleagues first", 2), ("No secrets", "", 1)],
        )
    )


def test_mastodon_py_reads_the_version_from_the_instance(live_node: LiveNode) -> None:
    client = app(live_node)

    assert client.retrieve_mastodon_version() == "4.5.0"
    assert (client.mastodon_major, client.mastodon_minor, client.mastodon_patch) == (4, 5, 0)
    assert client.mastodon_api_version == 6
    assert client.verify_minimum_version("4.5.0", cached=True)


def test_instance_v2_without_a_token(live_node: LiveNode) -> None:
    live_node.member("alice")
    add_rules(live_node)

    instance = app(live_node).instance_v2()

    assert instance["domain"] == "rukun.test"
    assert instance["version"] == "4.5.0 (compatible; Rukun 0.1.0)"
    assert instance["usage"]["users"]["active_month"] == 0  # nobody has signed in yet
    assert instance["thumbnail"]["url"].startswith("https://rukun.test/")
    assert instance["icon"] == []
    assert instance["languages"] == ["en"]
    configuration = instance["configuration"]
    assert configuration["urls"]["streaming"] == "wss://rukun.test"
    assert configuration["vapid"]["public_key"] == ""
    assert configuration["accounts"]["max_pinned_statuses"] == 5
    assert configuration["statuses"] == {
        "max_characters": MAX_CHARACTERS,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    media = configuration["media_attachments"]
    assert media["supported_mime_types"] == ["image/jpeg", "image/png", "image/gif", "image/webp"]
    assert media["image_size_limit"] == 16 * 1024 * 1024
    assert media["image_matrix_limit"] == 33_177_600
    assert media["description_limit"] == 1500
    assert media["video_size_limit"] == 0
    assert configuration["polls"]["max_options"] == 4
    assert configuration["translation"] == {"enabled": False}
    assert instance["registrations"]["enabled"] is False
    assert instance["registrations"]["approval_required"] is True
    assert instance["registrations"]["message"] is None
    assert instance["api_versions"] == {"mastodon": 6}
    assert instance["contact"]["account"] is None
    assert [rule["text"] for rule in instance["rules"]] == ["No secrets", "Be kind"]


def test_instance_v1_and_the_latest(live_node: LiveNode) -> None:
    live_node.member("alice")
    live_node.member("bob")
    client = app(live_node)

    v1 = client.instance_v1()
    latest = client.instance()

    assert v1["uri"] == "rukun.test"
    assert v1["version"].startswith("4.5.0 ")
    assert v1["urls"] == {"streaming_api": "wss://rukun.test"}
    assert v1["stats"] == {"user_count": 2, "status_count": 0, "domain_count": 0}
    assert v1["registrations"] is False
    assert v1["approval_required"] is True
    assert v1["invites_enabled"] is False
    assert v1["contact_account"] is None
    assert v1["configuration"]["statuses"]["max_characters"] == MAX_CHARACTERS
    assert v1["rules"] == []
    assert latest["domain"] == "rukun.test"  # 4.x: the v2 document


def test_instance_documents_shown_with_counts_hidden(database_url: str, tmp_path: Path) -> None:
    node = LiveNode(database_url, tmp_path / "media", show_usage_counts=False).start()
    try:
        node.member("alice")
        assert get(node, "/api/v1/instance").json()["stats"] == {
            "user_count": 0,
            "status_count": 0,
            "domain_count": 0,
        }
        assert get(node, "/api/v2/instance").json()["usage"] == {"users": {"active_month": 0}}
    finally:
        node.stop()


def test_instance_documents_carry_no_member_data(live_node: LiveNode) -> None:
    member = live_node.member("alice", email="alice@example.com", display_name="Alice")

    for path in (
        "/api/v1/instance",
        "/api/v2/instance/",
        "/api/v1/instance/rules",
        "/api/v1/instance/extended_description",
    ):
        response = get(live_node, path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        for private in ("alice", str(member.account.id)):
            assert private not in response.text, path


def test_extended_description_is_answered_as_mastodon_does_without_one(
    live_node: LiveNode,
) -> None:
    # Apps built on masto.js fetch it for their About page and show an error on a 404.
    response = get(live_node, "/api/v1/instance/extended_description")
    assert response.status_code == 200
    assert response.json() == {"updated_at": None, "content": ""}


def test_rules_are_listed_in_order(live_node: LiveNode) -> None:
    assert app(live_node).instance_rules() == []
    add_rules(live_node)

    rules = app(live_node).instance_rules()

    assert [(rule["text"], rule["hint"]) for rule in rules] == [
        ("No secrets", ""),
        ("Be kind", "Colleagues first"),
    ]
    assert all(isinstance(rule["id"], str) for rule in rules)


def test_peers_are_for_members(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"))

    assert app(live_node, token).instance_peers() == []
    anonymous = get(live_node, "/api/v1/instance/peers")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"error": "The access token is invalid"}


def test_activity_is_not_published(live_node: LiveNode) -> None:
    token = live_node.token(live_node.member("alice"))

    with pytest.raises(MastodonNotFoundError):
        app(live_node, token).instance_activity()
    response = get(live_node, "/api/v1/instance/activity")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_custom_emojis_need_no_token(live_node: LiveNode) -> None:
    assert app(live_node).custom_emojis() == []
    assert get(live_node, "/api/v1/custom_emojis/").json() == []


def test_preferences_come_from_the_members_settings(live_node: LiveNode) -> None:
    alice = live_node.member("alice")
    token = live_node.token(alice, "read")

    assert app(live_node, token).preferences() == {
        "posting:default:visibility": "public",
        "posting:default:sensitive": False,
        "posting:default:language": None,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }

    live_node.with_conn(
        lambda conn: conn.execute(
            """UPDATE users SET default_visibility = 'private', default_sensitive = true,
                   default_language = 'de', expand_media = 'show_all', expand_spoilers = true
               WHERE id = $1""",
            alice.user_id,
        )
    )
    preferences = app(live_node, live_node.token(alice, "read:accounts")).preferences()
    assert preferences["posting:default:visibility"] == "private"
    assert preferences["posting:default:sensitive"] is True
    assert preferences["posting:default:language"] == "de"
    assert preferences["reading:expand:media"] == "show_all"
    assert preferences["reading:expand:spoilers"] is True


def test_preferences_need_a_member_token_with_read_accounts(live_node: LiveNode) -> None:
    alice: Member = live_node.member("alice")

    anonymous = get(live_node, "/api/v1/preferences")
    wrong_scope = get(live_node, "/api/v1/preferences", live_node.token(alice, "write"))
    bogus = get(live_node, "/api/v1/preferences", "not-a-token")

    assert anonymous.status_code == 401
    assert wrong_scope.status_code == 403
    assert wrong_scope.json() == {"error": "This action is outside the authorized scopes"}
    assert bogus.status_code == 401
    with pytest.raises(MastodonAPIError):
        app(live_node, "not-a-token").preferences()

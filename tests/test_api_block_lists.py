"""The admins' lists through Mastodon.py: domain blocks (with Mastodon's fields and its error
for a second block), email domain blocks, canonical email blocks and IP blocks — and what
they refuse: sign-ups from a blocked address, domain or network, and every authenticated
request from a `no_access` network."""

from __future__ import annotations

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonIllegalArgumentError

from actors.invitations import do_create_invitation
from actors.node_policy import NodePolicy, do_set_policy
from actors.sign_up_blocks import do_remove_ip_block
from tests.live import LiveNode
from tests.moderation_helpers import (
    api,
    audit_actions,
    member_client,
    remote_account_with_status,
    staff_client,
)

PASSWORD = "a long enough password"


def sign_up_app(node: LiveNode) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Sign-up App", scopes=["read", "write", "follow", "push"], api_base_url=node.base_url
    )
    return Mastodon(
        api_base_url=node.base_url,
        client_id=client_id,
        client_secret=client_secret,
        version_check_mode="none",
    )


def test_domain_blocks(live_node: LiveNode) -> None:
    boss = live_node.member("boss", role="admin")
    token = live_node.token(boss, "admin:read admin:write")
    staff = live_node.mastodon(token, version_check_mode="none")
    reader = member_client(live_node, live_node.member("carl"))
    spammer, status_id = remote_account_with_status(live_node, "loud", "news.spam.example")
    assert reader.status(status_id).id == str(status_id)

    block = staff.admin_create_domain_block(
        "Spam.Example",
        severity="silence",
        reject_media=True,
        private_comment="floods us",
        public_comment="spam",
    )
    assert (block.domain, block.severity, block.reject_media, block.reject_reports) == (
        "spam.example",
        "silence",
        True,
        False,
    )
    assert (block.private_comment, block.public_comment, block.obfuscate) == (
        "floods us",
        "spam",
        False,
    )
    assert [b.domain for b in staff.admin_domain_blocks()] == ["spam.example"]
    # Silencing a domain limits the accounts of it (and its subdomains) known here.
    assert staff.admin_account(spammer).silenced is True
    with pytest.raises(MastodonAPIError, match="Record not found"):
        reader.status(status_id)
    assert staff.admin_domain_blocks(id=block.id).domain == "spam.example"

    # A second block of the domain: Mastodon's 422, naming the block there.
    second = api(
        live_node, "POST", "/api/v1/admin/domain_blocks", token, json={"domain": "spam.example"}
    )
    assert second.status_code == 422
    assert second.json()["existing_domain_block"]["id"] == str(block.id)
    sub = api(
        live_node, "POST", "/api/v1/admin/domain_blocks", token, json={"domain": "x.spam.example"}
    )
    assert sub.json()["error"] == "You have already imposed stricter limits on spam.example."
    bad = api(live_node, "POST", "/api/v1/admin/domain_blocks", token, json={"domain": "a b"})
    assert bad.status_code == 422
    with pytest.raises(MastodonAPIError, match="Severity must be one of"):
        staff.admin_update_domain_block(block.id, severity="obliterate")

    # Members see the limited domains, obfuscated where the admins asked.
    staff.admin_update_domain_block(block.id, obfuscate=True)
    (shown,) = reader.instance_domain_blocks()
    assert (shown.domain, shown.severity, shown.comment) == ("spa******ple", "silence", "spam")

    changed = staff.admin_update_domain_block(block.id, severity="suspend", reject_reports=True)
    assert (changed.severity, changed.reject_media, changed.reject_reports) == (
        "suspend",
        True,
        True,
    )
    staff.admin_delete_domain_block(block.id)
    assert staff.admin_domain_blocks() == []
    assert staff.admin_account(spammer).silenced is False
    assert reader.status(status_id).id == str(status_id)
    with pytest.raises(MastodonAPIError, match="Record not found"):
        staff.admin_domain_blocks(id=block.id)

    allow = staff.admin_create_domain_allow("partner.example")
    assert staff.admin_create_domain_allow("partner.example").id == allow.id  # kept, not doubled
    staff.admin_delete_domain_allow(allow.id)
    assert staff.admin_domain_allows() == []

    assert [(a, i) for a, _, i in audit_actions(live_node, token, target_type="domain")] == [
        ("remove_domain_allow", "partner.example"),
        ("allow_domain", "partner.example"),
        ("remove_domain_block", "spam.example"),
        ("block_domain", "spam.example"),
        ("block_domain", "spam.example"),
        ("block_domain", "spam.example"),
    ]


def test_email_blocks_refuse_sign_ups(live_node: LiveNode) -> None:
    boss = live_node.member("boss", role="admin")
    token = live_node.token(boss, "admin:read admin:write")
    staff = live_node.mastodon(token, version_check_mode="none")
    live_node.with_conn(
        lambda conn: do_set_policy(conn, "signup_email_domains", "corp.example mail.corp.example")
    )
    app = sign_up_app(live_node)

    domain_block = staff.admin_create_email_domain_block("mail.corp.example")
    assert [b.domain for b in staff.admin_email_domain_blocks()] == ["mail.corp.example"]
    assert staff.admin_email_domain_block(domain_block.id).domain == "mail.corp.example"
    _, error = app.create_account(
        "mallory",
        PASSWORD,
        "mallory@mail.corp.example",
        agreement=True,
        return_detailed_error=True,
    )
    assert error["details"]["email"][0] == {"error": "ERR_BLOCKED", "description": "is not allowed"}

    # One address, whatever its dots, case and +tag.
    canonical = staff.admin_create_canonical_email_block(email="Dana.X+work@corp.example")
    assert [b.id for b in staff.admin_canonical_email_blocks()] == [canonical.id]
    assert staff.admin_canonical_email_block(canonical.id).canonical_email_hash == (
        canonical.canonical_email_hash
    )
    assert [b.id for b in staff.admin_test_canonical_email_block("danax@CORP.example")] == [
        canonical.id
    ]
    assert staff.admin_test_canonical_email_block("dana@corp.example") == []
    _, error = app.create_account(
        "dana", PASSWORD, "dana.x@corp.example", agreement=True, return_detailed_error=True
    )
    assert error["details"]["email"][0]["error"] == "ERR_BLOCKED"
    # Others of the organisation still sign up.
    assert app.create_account("frank", PASSWORD, "frank@corp.example", agreement=True)

    staff.admin_delete_canonical_email_block(canonical.id)
    staff.admin_delete_email_domain_block(domain_block.id)
    assert staff.admin_email_domain_blocks() == []
    assert app.create_account("dana", PASSWORD, "dana.x@corp.example", agreement=True)
    assert [a for a, _, _ in audit_actions(live_node, token)] == [
        "remove_email_domain_block",
        "remove_canonical_email_block",
        "block_canonical_email",
        "block_email_domain",
    ]


def test_ip_blocks(live_node: LiveNode) -> None:
    boss = live_node.member("boss", role="admin")
    token = live_node.token(boss, "admin:read admin:write")
    staff = live_node.mastodon(token, version_check_mode="none")
    live_node.with_conn(lambda conn: do_set_policy(conn, "signup_email_domains", "corp.example"))
    app = sign_up_app(live_node)

    with pytest.raises(MastodonAPIError, match="Ip is invalid"):
        staff.admin_create_ip_block("not an address", "sign_up_block")

    # Sign-ups from the network need approval, even with an invitation.
    approval = staff.admin_create_ip_block("127.0.0.1/32", "sign_up_requires_approval")
    invitation = live_node.with_conn(
        lambda conn: do_create_invitation(conn, None, NodePolicy(), "employee")
    )
    # (Mastodon.py's create_account has no invite_code: the app's own request.)
    credentials = requests.post(
        f"{live_node.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read write",
        },
        timeout=10,
    ).json()["access_token"]
    signed_up = api(
        live_node,
        "POST",
        "/api/v1/accounts",
        credentials,
        json={
            "username": "ivy",
            "email": "ivy@elsewhere.example",
            "password": PASSWORD,
            "agreement": True,
            "invite_code": invitation.code,
        },
    )
    assert signed_up.status_code == 200, signed_up.text
    ivy = live_node.mastodon(signed_up.json()["access_token"], version_check_mode="none")
    with pytest.raises(MastodonAPIError, match="pending approval"):
        ivy.account_verify_credentials()
    staff.admin_delete_ip_block(approval.id)

    block = staff.admin_create_ip_block("127.0.0.1/32", "sign_up_block", comment="the test network")
    assert (block.ip, block.severity, block.comment, block.expires_at) == (
        "127.0.0.1/32",
        "sign_up_block",
        "the test network",
        None,
    )
    assert [b.id for b in staff.admin_ip_blocks()] == [block.id]
    with pytest.raises(MastodonIllegalArgumentError, match="network are not allowed"):
        app.create_account("gina", PASSWORD, "gina@corp.example", agreement=True)

    widened = staff.admin_update_ip_block(block.id, ip="127.0.0.0/8", expires_in=3600)
    assert widened.ip == "127.0.0.0/8"
    assert widened.expires_at is not None

    # no_access: every authenticated request from there is refused, the admin's included.
    staff.admin_update_ip_block(block.id, severity="no_access")
    refused = api(live_node, "GET", "/api/v1/admin/ip_blocks", token)
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "Access from your network is blocked"},
    )
    live_node.with_conn(lambda conn: do_remove_ip_block(conn, None, int(block.id)))
    assert staff.admin_ip_blocks() == []
    assert [a for a, _, _ in audit_actions(live_node, token, target_type="ip_block")] == [
        "remove_ip_block",
        "update_ip_block",
        "update_ip_block",
        "block_ip",
        "remove_ip_block",
        "block_ip",
    ]


def test_lists_are_for_admins(live_node: LiveNode) -> None:
    moderator = staff_client(live_node, live_node.member("walt", role="moderator"))
    for call in (
        lambda: moderator.admin_create_domain_block("x.example"),
        lambda: moderator.admin_create_domain_allow("x.example"),
        lambda: moderator.admin_create_email_domain_block("x.example"),
        lambda: moderator.admin_create_canonical_email_block(email="a@x.example"),
        lambda: moderator.admin_create_ip_block("10.0.0.0/8", "no_access"),
    ):
        with pytest.raises(MastodonAPIError, match="This action is not allowed"):
            call()

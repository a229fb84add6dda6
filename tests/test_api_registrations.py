"""Signing up and managing accounts through the client API, driven by Mastodon.py where it has
the method: `create_account`, the admin account calls, and the instance documents."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonUnauthorizedError,
)

from actors.accounts import Member
from actors.node_policy import do_set_policy
from tests.live import LiveNode

PASSWORD = "a long enough password"
ADMIN_SCOPES = "read write admin:read admin:write"


def registered_app(node: LiveNode) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Sign-up App", scopes=["read", "write", "follow", "push"], api_base_url=node.base_url
    )
    return Mastodon(
        api_base_url=node.base_url,
        client_id=client_id,
        client_secret=client_secret,
        version_check_mode="created",
    )


def app_token(node: LiveNode, app: Mastodon) -> str:
    answer = requests.post(
        f"{node.base_url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read write",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def api(node: LiveNode, method: str, path: str, token: str, **options: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, node.base_url + path, headers=headers, timeout=10, **options)


def set_policy(node: LiveNode, key: str, value: object) -> None:
    node.with_conn(lambda conn: do_set_policy(conn, key, value))


@pytest.fixture
def admin(live_node: LiveNode) -> Member:
    return live_node.member("boss", role="admin", email="boss@corp.example")


def test_sign_up_by_email_domain_waits_for_an_admin(live_node: LiveNode, admin: Member) -> None:
    staff = live_node.mastodon(live_node.token(admin, ADMIN_SCOPES))
    app = registered_app(live_node)

    # Closed node: the instance says so and the API refuses.
    assert live_node.mastodon().instance_v1()["registrations"] is False
    # Mastodon.py turns every refusal of create_account into an argument error.
    with pytest.raises(MastodonIllegalArgumentError, match="Registrations are closed"):
        app.create_account("dana", PASSWORD, "dana@corp.example", agreement=True)

    set_policy(live_node, "signup_email_domains", "corp.example")
    v2 = live_node.mastodon().instance()
    assert v2["registrations"]["enabled"] is True
    assert v2["registrations"]["approval_required"] is True
    assert "corp.example" in v2["registrations"]["message"]

    # A wrong domain: 422 with the reason on `email`.
    token, error = app.create_account(
        "eve", PASSWORD, "eve@elsewhere.example", agreement=True, return_detailed_error=True
    )
    assert token is None
    assert error["error"].startswith("Validation failed: Email is not an email address of")
    assert error["details"]["email"][0]["error"] == "ERR_BLOCKED"

    # The right domain: a token, which does nothing until approval.
    token = app.create_account(
        "dana", PASSWORD, "dana@corp.example", agreement=True, reason="accounts team"
    )
    member = live_node.mastodon(token)
    with pytest.raises(MastodonAPIError, match="Your login is currently pending approval"):
        member.account_verify_credentials()
    pending = staff.admin_accounts_v2(status="pending")
    assert [a.username for a in pending] == ["dana"]
    assert pending[0].approved is False
    assert pending[0].invite_request == "accounts team"
    assert pending[0].email == "dana@corp.example"
    # Until approved, members do not find the sign-up at all
    colleague = live_node.mastodon(live_node.token(live_node.member("carl")))
    with pytest.raises(MastodonAPIError, match="Record not found"):
        colleague.account_lookup("dana")
    assert colleague.account_search("dana") == []
    assert [
        a["username"]
        for a in api(
            live_node,
            "GET",
            "/api/v1/admin/accounts?pending=true",
            live_node.token(admin, ADMIN_SCOPES),
        ).json()
    ] == ["dana"]

    approved = staff.admin_account_approve(pending[0].id)
    assert approved.approved is True
    assert member.account_verify_credentials().username == "dana"
    assert colleague.account_lookup("dana").username == "dana"
    assert staff.admin_accounts_v2(status="pending") == []
    with pytest.raises(MastodonAPIError, match="not waiting for approval"):
        staff.admin_account_approve(pending[0].id)


def test_a_rejected_sign_up_is_gone(live_node: LiveNode, admin: Member) -> None:
    set_policy(live_node, "signup_email_domains", "corp.example")
    staff = live_node.mastodon(live_node.token(admin, ADMIN_SCOPES))
    app = registered_app(live_node)
    token = app.create_account("fred", PASSWORD, "fred@corp.example", agreement=True)
    [pending] = staff.admin_accounts_v2(status="pending")

    rejected = staff.admin_account_reject(pending.id)

    assert rejected.username == "fred"
    with pytest.raises(MastodonUnauthorizedError):
        live_node.mastodon(token).account_verify_credentials()
    assert staff.admin_accounts_v2(status="pending") == []
    # The name is free again.
    assert app.create_account("fred", PASSWORD, "fred@corp.example", agreement=True)


def test_sign_up_with_an_invitation_through_the_api(live_node: LiveNode, admin: Member) -> None:
    admin_token = live_node.token(admin, "read write admin:write")
    made = api(
        live_node,
        "POST",
        "/api/v1/rukun/invitations",
        admin_token,
        json={"role": "customer", "max_uses": 1, "expires_in": 86400},
    )
    assert made.status_code == 200, made.text
    invitation = made.json()
    assert invitation["url"] == f"https://rukun.test/invite/{invitation['code']}"
    assert (invitation["role"], invitation["uses"], invitation["max_uses"]) == ("customer", 0, 1)
    app = registered_app(live_node)
    token = app_token(live_node, app)
    form = {
        "username": "cora",
        "email": "cora@customer.example",
        "password": PASSWORD,
        "agreement": "true",
        "locale": "en",
        "invite_code": invitation["code"],
    }

    created = api(live_node, "POST", "/api/v1/accounts", token, data=form)

    assert created.status_code == 200, created.text
    body = created.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"read", "write"}
    assert isinstance(body["created_at"], int)
    me = live_node.mastodon(body["access_token"]).account_verify_credentials()
    assert (me.username, me.role.id) == ("cora", "customer")

    # Used up: refused, and nothing created.
    again = api(live_node, "POST", "/api/v1/accounts", token, data={**form, "username": "cid"})
    assert again.status_code == 403
    assert again.json() == {"error": "This invitation has already been used as often as it may be."}
    # Mastodon's errors for a member's token and for no token.
    member_token = live_node.token(admin, "write")
    as_member = api(live_node, "POST", "/api/v1/accounts", member_token, data=form)
    assert as_member.status_code == 403
    assert as_member.json()["error"] == "This method requires an client credentials authentication"
    assert (
        requests.post(f"{live_node.base_url}/api/v1/accounts", data=form, timeout=10).status_code
        == 401
    )
    listed = api(live_node, "GET", "/api/v1/rukun/invitations", admin_token).json()
    assert [(i["id"], i["uses"]) for i in listed] == [(invitation["id"], 1)]
    revoked = api(live_node, "DELETE", f"/api/v1/rukun/invitations/{invitation['id']}", admin_token)
    assert revoked.json()["revoked"] is True


def test_invitation_api_follows_roles_and_scopes(live_node: LiveNode, admin: Member) -> None:
    emma = live_node.member("emma", role="employee")
    emma_token = live_node.token(emma, "read write")
    refused = api(live_node, "POST", "/api/v1/rukun/invitations", emma_token, json={})
    assert refused.status_code == 403
    assert refused.json() == {"error": "you may not create invitations on this node"}

    set_policy(live_node, "employees_may_invite", True)
    assert live_node.mastodon().instance_v1()["invites_enabled"] is True
    made = api(
        live_node, "POST", "/api/v1/rukun/invitations", emma_token, json={"role": "employee"}
    )
    assert made.status_code == 200, made.text
    assert made.json()["expires_at"] is None and made.json()["max_uses"] is None
    staff = api(live_node, "POST", "/api/v1/rukun/invitations", emma_token, json={"role": "admin"})
    assert staff.status_code == 403
    # An admin's token without an admin scope cannot mint admins either.
    plain = live_node.token(admin, "read write")
    minted = api(live_node, "POST", "/api/v1/rukun/invitations", plain, json={"role": "admin"})
    assert minted.status_code == 403
    bad = api(live_node, "POST", "/api/v1/rukun/invitations", plain, json={"max_uses": 0})
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("Validation failed: max_uses")


def test_disable_stops_tokens_at_once_and_roles_change(live_node: LiveNode, admin: Member) -> None:
    staff = live_node.mastodon(live_node.token(admin, ADMIN_SCOPES))
    walt = live_node.member("walt", role="employee")
    walts = live_node.mastodon(live_node.token(walt))
    assert walts.account_verify_credentials().username == "walt"

    staff.admin_account_moderate(walt.account.id, action="disable")

    with pytest.raises(MastodonUnauthorizedError):
        walts.account_verify_credentials()
    assert staff.admin_account(walt.account.id).disabled is True
    assert staff.admin_account_enable(walt.account.id).disabled is False
    assert live_node.mastodon(live_node.token(walt)).account_verify_credentials().username == "walt"

    # Roles: the admin promotes walt; the last admin cannot step down or be disabled.
    admin_token = live_node.token(admin, ADMIN_SCOPES)
    path = f"/api/v1/rukun/admin/accounts/{walt.account.id}/role"
    promoted = api(live_node, "POST", path, admin_token, json={"role": "moderator"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"]["id"] == "moderator"
    own = f"/api/v1/rukun/admin/accounts/{admin.account.id}/role"
    demoted = api(live_node, "POST", own, admin_token, json={"role": "employee"})
    assert demoted.status_code == 422
    assert demoted.json() == {"error": "the node must keep at least one active admin"}
    with pytest.raises(MastodonAPIError, match="at least one active admin"):
        staff.admin_account_moderate(admin.account.id, action="disable")

    # A moderator manages ordinary members but not staff, and changes no roles.
    moderator = live_node.mastodon(live_node.token(walt, ADMIN_SCOPES))
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        moderator.admin_account_moderate(admin.account.id, action="disable")
    cust = live_node.member("cust", role="customer")
    moderator.admin_account_moderate(cust.account.id, action="disable")
    assert moderator.admin_account(cust.account.id).disabled is True
    walt_token = live_node.token(walt, ADMIN_SCOPES)
    change = f"/api/v1/rukun/admin/accounts/{cust.account.id}/role"
    assert api(live_node, "POST", change, walt_token, json={"role": "admin"}).status_code == 403
    # An employee is not staff at all; a token without admin scopes is out of scope.
    employee = live_node.mastodon(live_node.token(live_node.member("ed"), ADMIN_SCOPES))
    # (Mastodon.py drops the message of an error from a list endpoint: check the status.)
    with pytest.raises(MastodonAPIError) as not_staff:
        employee.admin_accounts_v2()
    assert not_staff.value.args[1] == 403
    ed_token = live_node.token(live_node.member("ed2"), ADMIN_SCOPES)
    answer = api(live_node, "GET", "/api/v2/admin/accounts", ed_token)
    assert answer.json() == {"error": "This action is not allowed"}
    no_scope = api(live_node, "GET", "/api/v2/admin/accounts", live_node.token(admin, "read"))
    assert no_scope.status_code == 403
    assert no_scope.json() == {"error": "This action is outside the authorized scopes"}

"""Moderating accounts through Mastodon.py's admin methods against a live node: warnings,
sensitive, limit (silence), suspend and their undoing, deleting a suspended account's data,
password reset and forced sign-out — each on the audit log, each felt by the member and
their colleagues at once."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError, MastodonUnauthorizedError

from tests.live import LiveNode
from tests.moderation_helpers import (
    api,
    audit_actions,
    member_client,
    remote_account_with_status,
    staff_client,
)
from tests.status_helpers import follow


def test_account_actions_through_mastodon_py(live_node: LiveNode) -> None:
    admin_member = live_node.member("boss", role="admin")
    admin_token = live_node.token(admin_member, "read write admin:read admin:write")
    staff = live_node.mastodon(admin_token, version_check_mode="none")
    eve, carl, dana = (live_node.member(n) for n in ("eve", "carl", "dana"))
    follow(live_node, carl, eve)
    eve_api, carl_api, dana_api = (member_client(live_node, m) for m in (eve, carl, dana))
    post = eve_api.status_post("Read my thoughts")
    target = eve.account.id

    # A warning: nothing changes but the record the member sees.
    staff.admin_account_moderate(target, action=None, text="Mind the tone, please")
    warnings = api(live_node, "GET", "/api/v1/rukun/warnings", live_node.token(eve)).json()
    assert [(w["action"], w["text"]) for w in warnings] == [("none", "Mind the tone, please")]

    staff.admin_account_moderate(target, action="sensitive")
    assert staff.admin_account(target).sensitized is True
    assert eve_api.status_post("Look at this").sensitive is True  # media hidden by default
    assert staff.admin_account_unsensitive(target).sensitized is False

    # Limited: gone from the public timeline and from non-followers; followers keep it.
    staff.admin_account_moderate(target, action="silence")
    assert staff.admin_account(target).silenced is True
    assert [a.id for a in staff.admin_accounts_v2(status="silenced")] == [str(target)]
    assert post.id not in [s.id for s in dana_api.timeline_public()]
    assert post.id not in [s.id for s in carl_api.timeline_public()]
    with pytest.raises(MastodonNotFoundError):
        dana_api.status(post.id)
    assert carl_api.status(post.id).id == post.id
    assert post.id in [s.id for s in carl_api.timeline_home()]
    assert staff.admin_account_unsilence(target).silenced is False
    assert dana_api.status(post.id).id == post.id
    assert post.id in [s.id for s in dana_api.timeline_public()]

    # Suspended: the token stops at once and the posts vanish for everyone.
    staff.admin_account_moderate(target, action="suspend", text="Repeated abuse")
    with pytest.raises(MastodonUnauthorizedError):
        eve_api.account_verify_credentials()
    assert post.id not in [s.id for s in carl_api.timeline_home()]
    with pytest.raises(MastodonNotFoundError):
        carl_api.status(post.id)
    with pytest.raises(MastodonNotFoundError):
        carl_api.account(target)
    assert staff.admin_account(target).suspended is True
    # Only a suspended account's data may be deleted, and the suspension can be lifted first.
    assert staff.admin_account_unsuspend(target).suspended is False
    assert carl_api.status(post.id).id == post.id
    with pytest.raises(MastodonUnauthorizedError):  # its tokens ended with the suspension
        eve_api.account_verify_credentials()
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        staff.admin_account_delete(target)

    # Disabling is there too (its details are in test_api_registrations).
    staff.admin_account_moderate(dana.account.id, action="disable")
    assert staff.admin_account(dana.account.id).disabled is True

    bad = api(
        live_node,
        "POST",
        f"/api/v1/admin/accounts/{target}/action",
        admin_token,
        json={"type": "obliterate"},
    )
    assert (bad.status_code, bad.json()) == (
        422,
        {"error": "Validation failed: Type is not included in the list"},
    )

    # Every action is on the audit log, newest first, with who did it.
    actions = audit_actions(live_node, admin_token, target_type="account")
    assert [a for a, _, i in actions if i == str(target)] == [
        "unsuspend",
        "suspend",
        "unsilence",
        "silence",
        "unsensitive",
        "sensitive",
        "warn",
    ]
    assert ("disable", "account", str(dana.account.id)) in actions
    staff.admin_account_enable(dana.account.id)
    role = f"/api/v1/rukun/admin/accounts/{dana.account.id}/role"
    assert api(live_node, "POST", role, admin_token, json={"role": "moderator"}).ok
    assert [a for a, _, i in audit_actions(live_node, admin_token)][:2] == ["change_role", "enable"]
    entries = api(
        live_node, "GET", "/api/v1/rukun/admin/audit_log", admin_token, params={"action": "suspend"}
    ).json()
    assert entries[0]["account"]["username"] == "boss"
    assert entries[0]["details"]["text"] == "Repeated abuse"


def test_moderators_act_on_members_not_on_staff(live_node: LiveNode) -> None:
    admin = live_node.member("boss", role="admin")
    walt = live_node.member("walt", role="moderator")
    eve = live_node.member("eve")
    moderator = staff_client(live_node, walt)
    for action in ("suspend", "silence", "sensitive", "none"):
        with pytest.raises(MastodonAPIError, match="This action is not allowed"):
            moderator.admin_account_moderate(admin.account.id, action=action)
    moderator.admin_account_moderate(eve.account.id, action="silence")
    assert moderator.admin_account(eve.account.id).silenced is True
    # The audit log and the federation lists are admins' only.
    walt_token = live_node.token(walt, "read admin:read admin:write")
    answer = api(live_node, "GET", "/api/v1/rukun/admin/audit_log", walt_token)
    assert (answer.status_code, answer.json()) == (403, {"error": "This action is not allowed"})
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        moderator.admin_domain_blocks()
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        moderator.admin_create_ip_block("10.0.0.0/8", "sign_up_block")
    # A member without a role is refused everything, whatever the token's scopes.
    member = staff_client(live_node, live_node.member("ed"))
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        member.admin_account_moderate(eve.account.id, action="suspend")
    # (Mastodon.py loses the message of an error on a list endpoint: the status tells.)
    with pytest.raises(MastodonAPIError) as refused:
        member.admin_reports()
    assert refused.value.args[1] == 403
    # A token without admin scopes is out of scope even for an admin.
    plain = member_client(live_node, admin)
    with pytest.raises(MastodonAPIError, match="outside the authorized scopes"):
        plain.admin_account_moderate(eve.account.id, action="suspend")
    # The last admin cannot be suspended, even by themself.
    boss = staff_client(live_node, admin)
    with pytest.raises(MastodonAPIError, match="at least one active admin"):
        boss.admin_account_moderate(admin.account.id, action="suspend")


def test_deleting_a_suspended_remote_accounts_data(live_node: LiveNode) -> None:
    admin = staff_client(live_node, live_node.member("boss", role="admin"))
    reader = member_client(live_node, live_node.member("carl"))
    account_id, status_id = remote_account_with_status(live_node, "troll", "far.example")
    assert reader.status(status_id).content == "<p>remote words</p>"

    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        admin.admin_account_delete(account_id)
    admin.admin_account_moderate(account_id, action="suspend")
    suspended = admin.admin_accounts_v2(origin="remote", status="suspended")
    assert [(a.username, a.domain) for a in suspended] == [("troll", "far.example")]
    assert admin.admin_accounts_v2(origin="remote", status="active") == []
    deleted = admin.admin_account_delete(account_id)
    assert (deleted.id, deleted.domain, deleted.suspended) == (str(account_id), "far.example", True)

    async def deleted_at(conn: object) -> object:
        return await conn.fetchval(  # type: ignore[attr-defined]
            "SELECT deleted_at FROM statuses WHERE id = $1", status_id
        )

    assert live_node.with_conn(deleted_at) is not None
    # Lifting the suspension does not bring the deleted statuses back.
    admin.admin_account_unsuspend(account_id)
    with pytest.raises(MastodonNotFoundError):
        reader.status(status_id)


def test_password_reset_and_forced_sign_out(live_node: LiveNode) -> None:
    admin = live_node.member("boss", role="admin")
    admin_token = live_node.token(admin, "admin:write admin:read")
    eve = live_node.member("eve")
    eve_api = member_client(live_node, eve)
    assert eve_api.account_verify_credentials().username == "eve"

    path = f"/api/v1/rukun/admin/accounts/{eve.account.id}/sign_out"
    answer = api(live_node, "POST", path, admin_token)
    assert answer.json() == {"revoked_tokens": 1}
    with pytest.raises(MastodonUnauthorizedError):
        eve_api.account_verify_credentials()

    path = f"/api/v1/rukun/admin/accounts/{eve.account.id}/reset_password"
    answer = api(live_node, "POST", path, admin_token)
    assert answer.status_code == 200, answer.text
    password = answer.json()["password"]
    assert len(password) >= 16

    async def stored(conn: object) -> tuple[bool, bool]:
        from_db = await conn.fetchrow(  # type: ignore[attr-defined]
            "SELECT password_hash, password_change_required FROM users WHERE id = $1",
            eve.user_id,
        )
        return from_db["password_hash"] != password, from_db["password_change_required"]

    assert live_node.with_conn(stored) == (True, True)  # hashed, and to be changed
    assert [a for a, _, _ in audit_actions(live_node, admin_token)] == [
        "reset_password",
        "sign_out",
    ]
    # Not for remote accounts, nor for unknown ones.
    missing = api(live_node, "POST", "/api/v1/rukun/admin/accounts/12345/sign_out", admin_token)
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})

"""Reports through Mastodon.py: a member files one (`report`), the staff list, show, assign,
unassign, annotate, recategorise, resolve (with an account action too) and reopen it — every
step on the audit log. A report about a remote account, forwarded, queues a `Flag` from the
instance actor to that account's node."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from tests.live import LiveNode
from tests.moderation_helpers import (
    api,
    audit_actions,
    member_client,
    remote_account_with_status,
    staff_client,
)


def test_a_report_from_filing_to_resolution(live_node: LiveNode) -> None:
    boss = live_node.member("boss", role="admin")
    admin_token = live_node.token(boss, "read write admin:read admin:write")
    staff = live_node.mastodon(admin_token, version_check_mode="none")
    moderator = staff_client(live_node, live_node.member("walt", role="moderator"))
    eve, carl = live_node.member("eve"), live_node.member("carl")
    eve_api, carl_api = member_client(live_node, eve), member_client(live_node, carl)
    post = eve_api.status_post("Buy my pills")

    # The member files it, as Mastodon's apps do.
    filed = carl_api.report(eve.account.id, status_ids=[post.id], comment="spam", category="spam")
    assert (filed.category, filed.comment, filed.action_taken) == ("spam", "spam", False)
    assert filed.target_account.username == "eve"
    assert filed.status_ids == [post.id]
    # Nobody reports themself; statuses must be the reported account's.
    with pytest.raises(MastodonAPIError, match="cannot report yourself"):
        carl_api.report(carl.account.id)
    with pytest.raises(MastodonNotFoundError):
        carl_api.report(boss.account.id, status_ids=[post.id])
    # The staff hear of it.
    assert "admin.report" in [n.type for n in moderator.notifications()]

    (listed,) = staff.admin_reports()
    assert listed.id == filed.id
    assert (listed.account.username, listed.target_account.username) == ("carl", "eve")
    assert [s.id for s in listed.statuses] == [post.id]
    assert staff.admin_reports(account_id=eve.account.id) == []
    assert [r.id for r in staff.admin_reports(target_account_id=eve.account.id)] == [filed.id]

    assigned = moderator.admin_report_assign(filed.id)
    assert assigned.assigned_account.username == "walt"
    assert moderator.admin_report_unassign(filed.id).assigned_account is None

    note = api(
        live_node,
        "POST",
        f"/api/v1/rukun/admin/reports/{filed.id}/notes",
        admin_token,
        json={"content": "Third time this week"},
    )
    assert note.status_code == 200, note.text
    assert [n["content"] for n in note.json()["rukun"]["notes"]] == ["Third time this week"]
    assert staff.admin_report(filed.id).rukun.notes[0].content == "Third time this week"
    blank = api(
        live_node,
        "POST",
        f"/api/v1/rukun/admin/reports/{filed.id}/notes",
        admin_token,
        json={"content": " "},
    )
    assert blank.status_code == 422

    changed = api(
        live_node,
        "PUT",
        f"/api/v1/admin/reports/{filed.id}",
        admin_token,
        json={"category": "violation"},
    )
    assert changed.json()["category"] == "violation"

    resolved = staff.admin_report_resolve(filed.id)
    assert resolved.action_taken is True
    assert resolved.action_taken_by_account.username == "boss"
    assert staff.admin_reports() == []
    assert [r.id for r in staff.admin_reports(resolved=True)] == [filed.id]
    reopened = staff.admin_report_reopen(filed.id)
    assert (reopened.action_taken, reopened.action_taken_by_account) == (False, None)

    # Resolving with an action acts on the reported account and closes the report.
    answer = api(
        live_node,
        "POST",
        f"/api/v1/admin/reports/{filed.id}/resolve",
        admin_token,
        json={"action": "silence", "text": "Limited for spam"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["action_taken"] is True
    assert staff.admin_account(eve.account.id).silenced is True
    warnings = api(live_node, "GET", "/api/v1/rukun/warnings", live_node.token(eve)).json()
    assert [(w["action"], w["report_id"]) for w in warnings] == [("silence", str(filed.id))]

    assert [a for a, kind, i in audit_actions(live_node, admin_token) if kind == "report"] == [
        "reopen_report",
        "resolve_report",
        "update_report",
        "add_report_note",
        "unassign_report",
        "assign_report",
    ]
    assert audit_actions(live_node, admin_token, action="silence")[0][2] == str(eve.account.id)

    # Unknown reports are not found; members without a role are refused.
    with pytest.raises(MastodonNotFoundError):
        staff.admin_report(123)
    with pytest.raises(MastodonAPIError, match="This action is not allowed"):
        carl_api_admin = staff_client(live_node, carl)
        carl_api_admin.admin_report_resolve(filed.id)


def _deliveries(node: LiveNode) -> list[dict[str, Any]]:
    async def read(conn: asyncpg.Connection) -> list[dict[str, Any]]:
        rows = await conn.fetch(
            """SELECT d.inbox_url, d.state, d.attempts, d.last_error, d.payload, a.username
               FROM deliveries d JOIN accounts a ON a.id = d.actor_id ORDER BY d.id"""
        )
        return [dict(row) for row in rows]

    return node.with_conn(read)


def test_a_forwarded_report_queues_a_flag_and_a_domain_block_stops_it(
    live_node: LiveNode,
) -> None:
    boss = live_node.member("boss", role="admin")
    staff = staff_client(live_node, boss)
    carl_api = member_client(live_node, live_node.member("carl"))
    troll, status_id = remote_account_with_status(live_node, "troll", "far.example")
    # far.example is a partner: this node would deliver there.
    allowed = staff.admin_create_domain_allow("far.example")
    assert [a.domain for a in staff.admin_domain_allows()] == ["far.example"]
    assert staff.admin_domain_allow(allowed.id).domain == "far.example"

    filed = carl_api.report(troll, status_ids=[status_id], comment="abuse", forward=True)
    assert filed.forwarded is True
    (delivery,) = _deliveries(live_node)
    assert delivery["inbox_url"] == "https://far.example/inbox"
    assert delivery["state"] == "queued"
    assert delivery["username"] == "instance.actor"  # signed by the node, not by carl
    flag = delivery["payload"]
    assert flag["type"] == "Flag"
    assert flag["actor"] == "https://rukun.test/actor"
    assert flag["object"] == [
        "https://far.example/users/troll",
        "https://far.example/users/troll/statuses/1",
    ]
    assert flag["content"] == "abuse"
    # A report not forwarded stays here.
    assert carl_api.report(troll, comment="again").forwarded is False
    assert len(_deliveries(live_node)) == 1

    # When: an admin suspends the domain
    block = staff.admin_create_domain_block("far.example", severity="suspend")
    assert block.severity == "suspend"

    # Then: the queued Flag is dropped, and running the queue sends nothing
    live_node.drain()
    (delivery,) = _deliveries(live_node)
    assert (delivery["state"], delivery["attempts"]) == ("dead", 0)
    assert delivery["last_error"] == "refused by federation policy"
    # The block replaced the allow: far.example is no partner any more.
    assert staff.admin_domain_allows() == []

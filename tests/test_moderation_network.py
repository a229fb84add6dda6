"""Moderation between live nodes: a report forwarded from `a.test` reaches `b.test` as a
`Flag` signed by a.test's instance actor and becomes a report there; once a.test's admin
suspends b.test, a forwarded report waiting in the queue never leaves; and b.test's
`reject_reports` on a.test ignores what a.test reports."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.federation_network import Network
from tests.live import LiveNode
from tests.moderation_helpers import member_client, staff_client


def test_a_forwarded_report_reaches_the_reported_accounts_node(network: Network) -> None:
    a, b = network["a.test"], network["b.test"]
    carl = member_client(a, a.member("carl"))
    bob = member_client(b, b.member("bob"))
    b_staff = staff_client(b, b.member("bea", role="admin"))
    a_staff = staff_client(a, a.member("ada", role="admin"))
    (bob_there,) = carl.search_v2("@bob@b.test", resolve=True, result_type="accounts")["accounts"]
    carl.account_follow(bob_there.id)
    network.settle()
    post = bob.status_post("Something to report")
    network.settle()
    (found,) = [s for s in carl.timeline_home() if s.uri == post.uri]

    filed = carl.report(found.account.id, status_ids=[found.id], comment="spam", forward=True)
    assert filed.forwarded is True
    network.settle()

    (received,) = b_staff.admin_reports()
    assert received.target_account.username == "bob"
    assert received.account.username == "a.test"  # the node reports, not carl
    assert received.comment == "spam"
    assert [s.id for s in received.statuses] == [post.id]

    # b.test keeps federating with a.test but no longer takes its reports.
    b_staff.admin_create_domain_block("a.test", severity="noop", reject_reports=True)
    carl.report(found.account.id, comment="more spam", forward=True)
    network.settle()
    assert _flag_deliveries(a)[-1][:2] == ("done", 1)
    assert len(b_staff.admin_reports()) == 1

    # When: a.test suspends b.test while a forwarded report waits in the queue
    carl.report(found.account.id, comment="still spam", forward=True)
    a_staff.admin_create_domain_block("b.test", severity="suspend")
    network.settle()

    # Then: it never left
    assert _flag_deliveries(a)[-1] == ("dead", 0, "refused by federation policy")
    assert len(b_staff.admin_reports()) == 1


def _flag_deliveries(node: LiveNode) -> list[tuple[str, int, Any]]:
    async def read(conn: asyncpg.Connection) -> list[tuple[str, int, Any]]:
        rows = await conn.fetch(
            """SELECT state, attempts, last_error FROM deliveries
               WHERE payload->>'type' = 'Flag' ORDER BY id"""
        )
        return [(row["state"], row["attempts"], row["last_error"]) for row in rows]

    return node.with_conn(read)

"""The panel's reports, federation and site pages with a test client: every change is the
audited command the admin API uses, and text anyone typed is shown as text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from actors.audit import list_audit_log
from actors.reports import insert_report, load_report
from outbox.delivery_records import get_delivery
from tests.admin_page_helpers import notice_after, post_form, queue_delivery, remote_account
from tests.conftest import MakeMember
from tests.test_signin import form_token, signed_in, start_browser
from web.config import WebConfig

INJECTION = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def audit(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    async with pool.acquire() as conn:
        return [(e.action, e.target_type) for e in await list_audit_log(conn)]


async def test_a_report_is_read_handled_and_forwarded(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("mod", role="moderator")
    alice = await make_member("alice")
    hostile = '<p>hello<script>alert(1)</script><img src="x" onerror="alert(2)"></p>'
    async with pool.acquire() as conn:
        target, status = await remote_account(conn, "troll", "remote.example", hostile)
        report = await insert_report(conn, alice.account.id, target, [status], INJECTION)
    assert report is not None
    path = f"/admin/reports/{report.id}"
    await signed_in(browser, "mod")

    listing = await (await browser.get("/admin/reports")).text()
    assert f'href="{path}"' in listing and "troll@remote.example" in listing
    page = await (await browser.get(path)).text()
    assert ESCAPED in page and INJECTION not in page  # the comment is text
    assert "hello" in page and "<script>" not in page and "onerror" not in page.split(ESCAPED)[1]

    for fields in ({"action": "assign"}, {"action": "note", "content": INJECTION}):
        assert await notice_after(browser, await post_form(browser, path, path, fields)) == "Done."
    page = await (await browser.get(path)).text()
    assert page.count(ESCAPED) == 2 and "Unassign" in page

    forwarded = await post_form(browser, path, path, {"action": "forward"})
    assert await notice_after(browser, forwarded) == "Done."
    again = await post_form(browser, path, path, {"action": "forward"})
    assert await notice_after(browser, again) == "This report has already been forwarded"

    resolved = await post_form(
        browser, path, path, {"action": "resolve", "resolution": "limit", "text": "Stop"}
    )
    assert resolved.headers["Location"] == "/admin/reports"
    async with pool.acquire() as conn:
        closed = await load_report(conn, report.id)
        assert closed.resolved_at is not None and closed.forwarded
        assert await conn.fetchval("SELECT silenced_at FROM accounts WHERE id = $1", target)
        flag = await conn.fetchrow("SELECT host, payload FROM deliveries")
        assert flag["host"] == "remote.example"
        assert flag["payload"]["type"] == "Flag"
        assert flag["payload"]["object"][1] == "https://remote.example/users/troll/statuses/1"
    reopened = await post_form(browser, path, path, {"action": "reopen"})
    assert await notice_after(browser, reopened) == "Done."
    assert await audit(pool) == [
        ("reopen_report", "report"),
        ("silence", "account"),
        ("forward_report", "report"),
        ("add_report_note", "report"),
        ("assign_report", "report"),
    ]


async def test_federation_lists_blocks_stop_deliveries_and_dead_letters_are_handled(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    root = await make_member("root", role="admin")
    async with pool.acquire() as conn:
        doomed = await queue_delivery(conn, root.account.id, "https://bad.example/inbox", 1)
        dead = await queue_delivery(conn, root.account.id, "https://slow.example/inbox", 2)
        await conn.execute(
            """UPDATE deliveries SET state = 'dead', attempts = 9, last_error = 'timed out',
                                     finished_at = now() WHERE id = $1""",
            dead,
        )
        lost = await queue_delivery(conn, root.account.id, "https://slow.example/inbox", 3)
        await conn.execute("UPDATE deliveries SET state = 'dead' WHERE id = $1", lost)
    await signed_in(browser, "root")
    page = "/admin/federation"

    allowed = await post_form(
        browser,
        page,
        page,
        {"action": "allow", "domain": "partner.example", "organisation": INJECTION},
    )
    assert await notice_after(browser, allowed) == "partner.example is a partner."
    blocked = await post_form(
        browser,
        page,
        page,
        {"action": "block", "domain": "bad.example", "severity": "suspend", "reject_media": "on"},
    )
    assert await notice_after(browser, blocked) == "bad.example is blocked (suspend)."
    shown = await (await browser.get(page)).text()
    assert ESCAPED in shown and INJECTION not in shown
    assert "timed out" in shown  # the host's last error

    exported = await browser.get("/admin/federation/domain_blocks.csv")
    assert exported.content_type == "text/csv"
    assert await exported.text() == (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "bad.example,suspend,true,false,,false\n"
    )
    upload = FormData()
    upload.add_field("authenticity_token", await form_token(browser, page))
    upload.add_field(
        "data",
        b"#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        b"spam.example,silence,false,true,Spam,false\nworse.example,banish,,,,\n",
        filename="domain_blocks.csv",
        content_type="text/csv",
    )
    imported = await browser.post("/admin/federation/import", data=upload, allow_redirects=False)
    assert await notice_after(browser, imported) == (
        "1 blocks imported. Skipped: line 3: severity must be one of suspend, silence, noop"
    )

    retried = await post_form(browser, page, f"{page}/dead_letters/{dead}", {"action": "retry"})
    assert await notice_after(browser, retried) == "Queued to be sent again."
    discarded = await post_form(browser, page, f"{page}/dead_letters/{lost}", {"action": "discard"})
    assert await notice_after(browser, discarded) == "Discarded."
    removed = await post_form(browser, page, page, {"action": "remove", "domain": "spam.example"})
    assert await notice_after(browser, removed) == "The rule is removed."

    async with pool.acquire() as conn:
        assert (await get_delivery(conn, doomed)).state == "dead"  # type: ignore[union-attr]
        assert (await get_delivery(conn, dead)).state == "queued"  # type: ignore[union-attr]
        assert await get_delivery(conn, lost) is None
        rules = await conn.fetch("SELECT domain, policy FROM federation_domains ORDER BY domain")
        assert [(r["domain"], r["policy"]) for r in rules] == [
            ("bad.example", "block"),
            ("partner.example", "allow"),
        ]
    assert [action for action, _ in await audit(pool)] == [
        "remove_domain_block",
        "discard_delivery",
        "retry_delivery",
        "block_domain",
        "block_domain",
        "allow_domain",
    ]


async def test_rules_announcements_and_invitations(
    browser: TestClient, make_member: MakeMember, pool: asyncpg.Pool
) -> None:
    await make_member("root", role="admin")
    await signed_in(browser, "root")
    rules = "/admin/rules"
    for text in ("Be kind", INJECTION):
        added = await post_form(browser, rules, rules, {"action": "add", "text": text})
        assert await notice_after(browser, added) == "The rules are saved."
    async with pool.acquire() as conn:
        first, second = [
            r["id"] for r in await conn.fetch("SELECT id FROM instance_rules ORDER BY position")
        ]
    moved = await post_form(browser, rules, rules, {"action": "up", "id": str(second)})
    assert await notice_after(browser, moved) == "The rules are saved."
    edited = await post_form(
        browser, rules, rules, {"action": "edit", "id": str(first), "text": "Be very kind"}
    )
    assert await notice_after(browser, edited) == "The rules are saved."
    page = await (await browser.get(rules)).text()
    assert page.index(ESCAPED) < page.index("Be very kind") and INJECTION not in page
    blank = await post_form(browser, rules, rules, {"action": "add", "text": "  "})
    assert await notice_after(browser, blank) == "a rule needs its text"
    deleted = await post_form(browser, rules, rules, {"action": "delete", "id": str(first)})
    assert await notice_after(browser, deleted) == "The rules are saved."

    news = "/admin/announcements"
    created = await post_form(
        browser, news, news, {"action": "create", "text": INJECTION, "published": "on"}
    )
    assert await notice_after(browser, created) == "The announcements are saved."
    page = await (await browser.get(news)).text()
    assert ESCAPED in page and INJECTION not in page and "Published" in page

    invitations = "/admin/invitations"
    made = await post_form(
        browser,
        invitations,
        invitations,
        {"action": "create", "role": "customer", "expires_in": "2d", "max_uses": "3"},
    )
    assert (await notice_after(browser, made)).startswith("Invitation created: https://")
    async with pool.acquire() as conn:
        invitation = await conn.fetchrow("SELECT id, role, max_uses FROM invitations")
    assert (invitation["role"], invitation["max_uses"]) == ("customer", 3)
    revoked = await post_form(
        browser, invitations, invitations, {"action": "revoke", "id": str(invitation["id"])}
    )
    assert await notice_after(browser, revoked) == "The invitation is revoked."
    assert "This invitation has been revoked." in await (await browser.get(invitations)).text()

    assert [action for action, _ in await audit(pool)] == [
        "create_announcement",
        "delete_rule",
        "update_rule",
        "move_rule",
        "add_rule",
        "add_rule",
    ]
    log = await (await browser.get("/admin/audit?action=add_rule")).text()
    assert log.count("<td>add_rule</td>") == 2 and "move_rule" not in log
    by_root = await (await browser.get("/admin/audit?actor=root")).text()
    assert "create_announcement" in by_root
    by_nobody = await (await browser.get("/admin/audit?actor=ghost")).text()
    assert "No entries match." in by_nobody

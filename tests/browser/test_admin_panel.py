"""The admin panel in Chromium: an admin suspends a member (whose browser and app are signed
out at once), resolves a report with an action, blocks a partner domain (its queued delivery
stops), sends a dead letter again; text anyone typed stays text, and no page breaks the CSP.
Moderators and members see only what they may."""

from __future__ import annotations

import requests
from playwright.sync_api import Browser, Page, expect

from actors.reports import insert_report, load_report
from outbox.delivery_records import get_delivery
from tests.admin_page_helpers import queue_delivery, remote_account
from tests.browser.conftest import CspViolations, shot, sign_in
from tests.live import LiveNode

INJECTION = "<img src=x onerror=alert(1)>"


def no_injected_image(page: Page) -> None:
    """The typed markup is on the page as text, and no element came of it."""
    assert page.locator("img[src='x']").count() == 0
    expect(page.get_by_text(INJECTION).first).to_be_visible()


def test_an_admin_moderates_in_a_real_browser(
    browser: Browser, page: Page, site: LiveNode, csp_violations: CspViolations
) -> None:
    # Given an admin, a member with a hostile display name, and a report about a remote account
    root = site.member("root", role="admin", display_name="Root Admin")
    bob = site.member("bob", display_name=INJECTION)
    alice = site.member("alice")
    bob_token = site.token(bob)

    async def prepare(conn):  # type: ignore[no-untyped-def]
        target, status = await remote_account(
            conn, "troll", "remote.example", "<p>buy <b>now</b><script>alert(1)</script></p>"
        )
        report = await insert_report(conn, alice.account.id, target, [status], INJECTION)
        doomed = await queue_delivery(conn, root.account.id, "https://bad.example/inbox", 1)
        dead = await queue_delivery(conn, root.account.id, "https://slow.example/inbox", 2)
        await conn.execute(
            """UPDATE deliveries SET state = 'dead', attempts = 12, last_status = 503,
                      last_error = 'service unavailable', finished_at = now() WHERE id = $1""",
            dead,
        )
        assert report is not None
        return target, report.id, doomed, dead

    target, report_id, doomed, dead = site.with_conn(prepare)
    bob_context = browser.new_context()
    bob_page = bob_context.new_page()
    sign_in(bob_page, site, bob)
    assert "/auth/sign_in" not in bob_page.url

    # The dashboard
    sign_in(page, site, root)
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Open reports")).to_be_visible()
    shot(page, "admin-dashboard")

    # Suspending bob from his account page
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Accounts"
    ).click()
    shot(page, "admin-accounts")
    page.locator(f"a[href='/admin/accounts/{bob.account.id}']").click()
    no_injected_image(page)
    page.get_by_text("Suspend…").click()
    page.get_by_role("button", name="Yes, suspend bob").click()
    expect(page.get_by_role("status")).to_have_text("Done.")
    expect(page.get_by_text("Suspended", exact=True)).to_be_visible()
    shot(page, "admin-account")
    # bob's browser is signed out on its next page, his app's token is refused
    bob_page.goto(site.base_url + "/")
    assert "/auth/sign_in" in bob_page.url
    answer = requests.get(
        site.base_url + "/api/v1/accounts/verify_credentials",
        headers={"Authorization": f"Bearer {bob_token}"},
        timeout=10,
    )
    assert answer.status_code == 401
    bob_context.close()

    # Resolving the report by limiting the account
    page.get_by_role("link", name="Reports").first.click()
    shot(page, "admin-reports")
    page.locator(f"a[href='/admin/reports/{report_id}']").click()
    no_injected_image(page)
    expect(page.locator(".post-content b")).to_have_text("now")  # sanitised, not flattened
    assert page.locator(".post-content script").count() == 0
    shot(page, "admin-report")
    page.get_by_label("Limit the account").check()
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_role("status")).to_have_text(f"Report #{report_id} resolved.")

    # Blocking a domain stops what was queued to it; a dead letter is sent again
    page.goto(site.base_url + "/admin/federation")
    block = page.locator("#block-form")
    block.get_by_label("Domain").fill("bad.example")
    block.get_by_label("Reason (staff only)").fill(INJECTION)
    block.get_by_role("button", name="Block").click()
    expect(page.get_by_role("status")).to_have_text("bad.example is blocked (suspend).")
    no_injected_image(page)
    expect(page.locator(f"#delivery-{dead}")).to_contain_text("service unavailable")
    shot(page, "admin-federation")
    page.locator(f"#delivery-{dead}").get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_have_text("Queued to be sent again.")

    # Rules and announcements keep typed markup as text
    page.goto(site.base_url + "/admin/rules")
    page.get_by_label("Text").fill(INJECTION)
    page.get_by_role("button", name="Add rule").click()
    no_injected_image(page)
    page.goto(site.base_url + "/admin/announcements")
    page.locator("#announcement-text").fill(INJECTION)
    page.get_by_role("button", name="Save").click()
    no_injected_image(page)

    page.goto(site.base_url + "/admin/audit")
    for action in ("suspend", "silence", "block_domain", "retry_delivery", "add_rule"):
        expect(page.locator("#audit-entries td", has_text=action).first).to_be_visible()
    no_injected_image(page)
    shot(page, "admin-audit")

    # On a phone the panel is one column
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site.base_url + "/admin/accounts")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "admin-accounts-phone")

    async def outcome(conn):  # type: ignore[no-untyped-def]
        report = await load_report(conn, report_id)
        silenced = await conn.fetchval("SELECT silenced_at FROM accounts WHERE id = $1", target)
        return report, silenced, await get_delivery(conn, doomed), await get_delivery(conn, dead)

    report, silenced, doomed_row, dead_row = site.with_conn(outcome)
    assert report.resolved_at is not None and silenced is not None
    assert doomed_row.state == "dead" and doomed_row.last_error == "refused by federation policy"
    assert dead_row.state == "queued"
    assert csp_violations() == []


def test_moderators_and_members_see_only_what_they_may(page: Page, site: LiveNode) -> None:
    mod = site.member("mod", role="moderator")
    carol = site.member("carol")
    sign_in(page, site, mod)
    assert page.goto(site.base_url + "/admin/federation").status == 403  # type: ignore[union-attr]
    page.goto(f"{site.base_url}/admin/accounts/{carol.account.id}")
    expect(page.get_by_role("button", name="Warn")).to_be_visible()
    assert page.locator("select[name=role]").count() == 0  # roles are the admins'
    nav = page.get_by_role("navigation", name="Administration")
    assert nav.get_by_role("link", name="Federation").count() == 0
    page.context.clear_cookies()
    sign_in(page, site, carol)
    assert page.get_by_role("link", name="Admin").count() == 0
    assert page.goto(site.base_url + "/admin").status == 404  # type: ignore[union-attr]

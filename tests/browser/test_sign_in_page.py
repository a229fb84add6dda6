"""The browser harness itself, on the sign-in page: a member signs in with the form in
Chromium, lands on the home page, and the page breaks no CSP rule."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import CspViolations, shot, sign_in
from tests.live import LiveNode


def test_a_member_signs_in_in_a_real_browser(
    page: Page, site: LiveNode, csp_violations: CspViolations
) -> None:
    alice = site.member("alice", display_name="Alice Example")
    page.goto(site.base_url + "/")
    assert "/auth/sign_in" in page.url  # members only
    shot(page, "sign-in")
    sign_in(page, site, alice)
    assert page.url.rstrip("/") == site.base_url
    assert "alice" in page.content().lower()
    shot(page, "home")
    assert csp_violations() == []

"""Browser tests: the node's pages in a real Chromium (Debian's `/usr/bin/chromium`, driven by
Playwright; `playwright install` is never needed). Each test gets a live node named by its own
loopback address, so cookies and the CSRF origin check behave as for a real site, and a fresh
browser context; `signed_in(page, member)` signs in through the sign-in form.

Screenshots of the pages a test visits go to `test-artifacts/screenshots/` (`shot(page, name)`),
which CI keeps as artefacts."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from actors.accounts import Member
from tests.live import PASSWORD, LiveNode

CHROMIUM = os.environ.get("RUKUN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


# Per module, not per session: while Playwright's sync API runs, its event loop is the main
# thread's, and pytest-asyncio cannot run the async tests collected after the browser tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: ./test installs Debian's chromium package as root")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[LiveNode]:
    """A live node at `http://127.0.0.1:PORT`, as the browser sees it."""
    node = LiveNode(database_url, tmp_path / "media", domain=None).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, site: LiveNode, member: Member, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would; lands on the home page."""
    page.goto(f"{site.base_url}/auth/sign_in")
    page.fill("input[name=login]", member.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


CspViolations = Callable[[], list[str]]


@pytest.fixture
def csp_violations(page: Page) -> CspViolations:
    """Messages the browser logged about the Content-Security-Policy (an inline script or
    style the policy refused); a page must produce none."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return lambda: list(seen)

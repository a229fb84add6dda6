"""The members' pages in Chromium: a member posts an internal post with an image, a colleague
sees it and a customer does not, replies appear in the thread, following changes the button
and the relationship, an article's Markdown is rendered, the directory finds a colleague by
department, new posts arrive without a reload, and a password change signs out the other
browser. Every page keeps to the CSP; a form without its token is refused; HTML typed into
any text field stays text."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import CspViolations, shot, sign_in
from tests.live import PASSWORD, LiveNode


def png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 200)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def watch_csp(page: Page, seen: list[str]) -> Page:
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def second_page(browser: Browser, seen: list[str]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    context.set_default_timeout(15_000)
    return context, watch_csp(context.new_page(), seen)


def post_from_form(page: Page, text: str, visibility: str) -> None:
    page.fill("#compose-text", text)
    page.select_option("#compose-visibility", visibility)


def test_a_members_day_on_the_pages(
    page: Page,
    browser: Browser,
    site: LiveNode,
    csp_violations: CspViolations,
    tmp_path: Path,
) -> None:
    alice = site.member("alice", display_name="Alice Example")
    bob = site.member("bob", display_name="Bob Builder")
    carol = site.member("carol", role="customer", display_name="Carol Customer")
    others: list[str] = []

    # Alice sets her department, then posts an internal post with an image and its alt text.
    sign_in(page, site, alice)
    page.goto(site.base_url + "/settings")
    page.fill("#department", "Finance")
    page.fill("#job-title", "Controller")
    page.click("text=Save profile")
    assert "Saved." in page.content()
    shot(page, "settings")
    page.goto(site.base_url + "/")
    post_from_form(page, "Quarterly numbers are in #finance", "local")
    page.click("summary:has-text('Add images')")
    page.set_input_files("#image-1", str(png(tmp_path / "chart.png")))
    page.fill("#description-1", "A bar chart of the quarter")
    page.click("form.compose button[type=submit]")
    image = page.locator('img[alt="A bar chart of the quarter"]')
    image.wait_for()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
    assert "Internal (only employees of this node)" in page.content()
    shot(page, "home")
    thread_href = page.locator("a.status-time").first.get_attribute("href")
    assert thread_href is not None and thread_href.startswith("/@alice/")

    # Bob, an employee in another browser, sees it; Carol, a customer, does not.
    bob_context, bob_page = second_page(browser, others)
    sign_in(bob_page, site, bob)
    bob_page.goto(site.base_url + thread_href)
    assert bob_page.locator('img[alt="A bar chart of the quarter"]').count() == 1
    carol_context, carol_page = second_page(browser, others)
    sign_in(carol_page, site, carol)
    response = carol_page.goto(site.base_url + thread_href)
    assert response is not None and response.status == 404
    carol_page.goto(site.base_url + "/@alice")
    assert "Quarterly numbers" not in carol_page.content()
    carol_page.goto(site.base_url + "/compose")
    assert carol_page.locator("#compose-visibility option[value=local]").count() == 0
    carol_context.close()

    # Bob replies in the thread; the thread page shows both.
    bob_page.goto(site.base_url + thread_href)
    bob_page.fill("#compose-text", "@alice Congratulations!")
    bob_page.click("form.compose button[type=submit]")
    bob_page.wait_for_selector("text=Congratulations!")
    assert bob_page.locator(".status").count() == 2
    assert "Quarterly numbers are in" in bob_page.content()
    shot(bob_page, "thread")

    # Bob follows Alice: the button changes, and the relationship is stored.
    bob_page.goto(site.base_url + "/@alice")
    bob_page.click("button.follow-button:has-text('Follow')")
    bob_page.wait_for_selector("button.follow-button:has-text('Unfollow')")
    following = site.with_conn(
        lambda conn: conn.fetchval(
            "SELECT count(*) FROM follows WHERE account_id = $1 AND target_account_id = $2",
            bob.account.id,
            alice.account.id,
        )
    )
    assert following == 1
    relationship = site.mastodon(site.token(bob)).account_relationships(alice.account.id)[0]
    assert relationship["following"] is True
    shot(bob_page, "profile")

    # Bob finds Alice in the directory by her department.
    bob_page.goto(site.base_url + "/directory")
    bob_page.fill("#department", "finance")
    bob_page.click("form.filters button[type=submit]")
    assert bob_page.locator(".person:has-text('Alice Example')").count() == 1
    assert bob_page.locator(".person:has-text('Carol Customer')").count() == 0
    shot(bob_page, "directory")

    # Alice's notifications show the follow and the reply.
    page.goto(site.base_url + "/notifications")
    assert "followed you" in page.content()
    assert "Congratulations!" in page.content()
    shot(page, "notifications")

    # Alice writes an article; its page shows the rendered Markdown.
    page.goto(site.base_url + "/articles/new")
    page.fill("#article-title", "How we close the books")
    page.fill("#article-summary", "Our month-end, step by step")
    page.fill("#article-body", "## Step one\n\nReconcile **every** account.\n\n- banks\n- cards")
    page.select_option("#article-visibility", "local")
    page.click("text=Publish")
    page.wait_for_selector("h2:has-text('Step one')")
    assert page.locator(".article-body strong:has-text('every')").count() == 1
    assert page.locator(".article-body li").count() == 2
    shot(page, "article")

    # The compose page on its own.
    page.goto(site.base_url + "/compose")
    shot(page, "compose")

    # A post made elsewhere (an app) appears on the open home page without a reload.
    page.clock.install()
    page.goto(site.base_url + "/")
    site.mastodon(site.token(alice)).status_post("Posted from an app", visibility="public")
    site.drain()
    page.clock.run_for(21_000)
    page.wait_for_selector("#feed >> text=Posted from an app")
    assert page.locator("#new-posts").is_visible()

    # Alice changes her password in one browser; the other one is signed out.
    second_context, alice_elsewhere = second_page(browser, others)
    sign_in(alice_elsewhere, site, alice)
    assert "/auth/sign_in" not in alice_elsewhere.url
    page.goto(site.base_url + "/auth/password")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "a fresh long secret")
    page.fill("input[name=password_confirmation]", "a fresh long secret")
    page.click("form.stack button[type=submit]")
    page.goto(site.base_url + "/settings")
    assert "/auth/sign_in" not in page.url
    alice_elsewhere.goto(site.base_url + "/")
    assert "/auth/sign_in" in alice_elsewhere.url
    second_context.close()
    bob_context.close()

    assert csp_violations() == []
    assert others == []


INJECTED = '<img id="{}" src="x"><b id="{}-b">bold</b>'


def injected(name: str) -> str:
    return INJECTED.format(name, name)


def test_html_typed_into_any_field_stays_text_and_forms_need_their_token(
    page: Page, site: LiveNode, csp_violations: CspViolations, tmp_path: Path
) -> None:
    alice = site.member("alice", display_name="Alice Example")
    sign_in(page, site, alice)
    # Profile: display name, bio, a field's name and value, organisation details.
    page.goto(site.base_url + "/settings")
    page.fill("#display-name", "A<i id=pwn-name>x")
    page.fill("#note", injected("pwn-bio"))
    page.fill("#field-name-1", "<u id=pwn-fname>n")
    page.fill("#field-value-1", injected("pwn-fvalue"))
    page.fill("#department", "<s id=pwn-dept>Ops")
    page.click("text=Save profile")
    # A post with a content warning and an image description.
    page.goto(site.base_url + "/")
    page.fill("#compose-text", injected("pwn-text"))
    page.fill("#compose-cw", injected("pwn-cw"))
    page.select_option("#compose-visibility", "public")
    page.click("summary:has-text('Add images')")
    page.set_input_files("#image-1", str(png(tmp_path / "photo.png")))
    page.fill("#description-1", '"><img id="pwn-alt" src=x>')
    page.click("form.compose button[type=submit]")
    page.wait_for_selector("details.content-warning")
    page.locator("details.content-warning").evaluate("(d) => d.open = true")
    alt = page.locator("details.content-warning .media img").get_attribute("alt")
    assert alt == '"><img id="pwn-alt" src=x>'
    # An article: title, summary, body.
    page.goto(site.base_url + "/articles/new")
    page.fill("#article-title", injected("pwn-title"))
    page.fill("#article-summary", injected("pwn-summary"))
    page.fill(
        "#article-body", "Text <script id=pwn-script>alert(1)</script> " + injected("pwn-body")
    )
    page.click("text=Publish")
    page.wait_for_selector("#article-title")
    article_url = page.url
    for path in ("/", "/@alice", article_url, "/search?q=" + injected("pwn-q"), "/directory"):
        page.goto(path if path.startswith("http") else site.base_url + path)
        page.locator("details").evaluate_all("(all) => all.forEach(d => d.open = true)")
        for name in (
            "pwn-name",
            "pwn-bio",
            "pwn-fname",
            "pwn-fvalue",
            "pwn-dept",
            "pwn-text",
            "pwn-cw",
            "pwn-alt",
            "pwn-title",
            "pwn-summary",
            "pwn-body",
            "pwn-script",
            "pwn-q",
        ):
            assert page.locator(f"#{name}, #{name}-b").count() == 0, (path, name)
    page.goto(site.base_url + "/@alice")
    assert "<i id=pwn-name>" in page.inner_text("#profile-name")
    page.goto(site.base_url + "/search?q=" + injected("pwn-q"))
    assert page.input_value("#q") == injected("pwn-q")
    # A form posted without its CSRF token is refused.
    refused = page.request.post(
        site.base_url + "/compose", form={"status": "forged", "visibility": "public"}
    )
    assert refused.status == 403
    refused = page.request.post(
        site.base_url + "/settings/preferences", form={"default_visibility": "public"}
    )
    assert refused.status == 403
    assert csp_violations() == []

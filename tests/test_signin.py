"""Signing in to the HTML pages: sessions, cookies, CSRF, rate limits, and the first pages."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from actors.accounts import do_set_disabled, ensure_first_admin
from actors.credentials import record_sign_in_attempt, session_for
from actors.site import Site
from tests.conftest import TEST_DOMAIN, MakeMember
from web.app import TEMPLATES, create_app
from web.auth import safe_next
from web.config import WebConfig
from web.signin import INVALID_SIGN_IN

PASSWORD = "correct horse battery"
TOKEN_FIELD = re.compile(r'name="authenticity_token" value="([^"]*)"')


async def start_browser(config: WebConfig, pool: asyncpg.Pool) -> TestClient:
    # The test server speaks plain http on loopback while the site is https: tell the cookie
    # jar to treat it as secure, as a browser would treat the real https site.
    server = TestServer(create_app(config, pool), host="127.0.0.1")
    await server.start_server()
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=server.make_url("/"))
    client = TestClient(server, cookie_jar=jar)
    await client.start_server()
    return client


@pytest.fixture
async def browser(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[TestClient]:
    """A client that keeps and sends cookies like a browser, `Secure` ones included."""
    client = await start_browser(web_config, pool)
    yield client
    await client.close()


async def form_token(client: TestClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, await response.text()
    match = TOKEN_FIELD.search(await response.text())
    assert match is not None
    return html.unescape(match.group(1))


async def sign_in(
    client: TestClient, login: str, password: str = PASSWORD, next_path: str | None = None
) -> aiohttp.ClientResponse:
    path = "/auth/sign_in" if next_path is None else f"/auth/sign_in?next={next_path}"
    token = await form_token(client, path)
    form = {"authenticity_token": token, "login": login, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return await client.post("/auth/sign_in", data=form, allow_redirects=False)


async def signed_in(client: TestClient, login: str, password: str = PASSWORD) -> str:
    """Sign in and return the session cookie's value."""
    response = await sign_in(client, login, password)
    assert response.status == 303, await response.text()
    return response.cookies["rukun_session"].value


def set_cookie_header(response: aiohttp.ClientResponse, name: str) -> str:
    headers = [h for h in response.headers.getall("Set-Cookie", []) if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers
    return headers[0]


# --- anonymous visitors ---


async def test_anonymous_pages_redirect_to_sign_in_with_next(
    client: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    home = await client.get("/", allow_redirects=False)
    assert home.status == 302
    assert home.headers["Location"] == "/auth/sign_in?next=/"
    profile = await client.get("/@alice?tab=posts&x=1", allow_redirects=False)
    assert profile.status == 302
    location = URL(profile.headers["Location"])
    assert location.path == "/auth/sign_in"
    assert dict(location.query) == {"next": "/@alice?tab=posts&x=1"}


async def test_after_sign_in_the_visitor_returns_to_the_page_asked_for(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    redirect = await browser.get("/@alice", allow_redirects=False)
    form_page = await browser.get(redirect.headers["Location"])
    assert 'name="next" value="/@alice"' in await form_page.text()
    response = await sign_in(browser, "alice", next_path="/@alice")
    assert response.status == 303
    assert response.headers["Location"] == "/@alice"


async def test_unknown_profile_is_404(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("alice")
    await signed_in(browser, "alice")
    response = await browser.get("/@nobody", headers={"Accept": "text/html"})
    assert response.status == 404
    assert response.content_type == "text/html"


# --- signing in ---


async def test_sign_in_by_username_shows_home(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("alice", display_name="Alice Liddell", role="moderator")
    response = await sign_in(browser, "alice")
    assert response.status == 303
    assert response.headers["Location"] == "/"
    home = await browser.get("/")
    assert home.status == 200
    page = await home.text()
    assert "Alice Liddell" in page
    assert f"@alice@{TEST_DOMAIN}" in page
    assert "moderator" in page
    assert 'action="/auth/sign_out"' in page


async def test_sign_in_by_email_ignores_case(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("bob", email="bob@example.com")
    response = await sign_in(browser, "Bob@Example.COM")
    assert response.status == 303
    assert (await browser.get("/")).status == 200


async def test_wrong_password_and_unknown_name_get_the_same_answer(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    wrong_password = await sign_in(browser, "alice", "not the password")
    unknown_name = await sign_in(browser, "nobody", PASSWORD)
    for response in (wrong_password, unknown_name):
        assert response.status == 401
        page = await response.text()
        assert html.escape(INVALID_SIGN_IN) in page
        assert "rukun_session" not in response.cookies
    assert 'value="alice"' in await wrong_password.text()  # the name is kept, not the password
    assert "not the password" not in await wrong_password.text()
    assert (await browser.get("/", allow_redirects=False)).status == 302


async def test_disabled_member_cannot_sign_in_and_loses_their_session(
    browser: TestClient, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("alice")
    await signed_in(browser, "alice")
    assert (await browser.get("/")).status == 200

    await do_set_disabled(conn, "alice", True)

    after = await browser.get("/", allow_redirects=False)
    assert after.status == 302
    assert after.headers["Location"].startswith("/auth/sign_in")
    again = await sign_in(browser, "alice")
    assert again.status == 401
    assert html.escape(INVALID_SIGN_IN) in await again.text()


async def test_signed_in_member_visiting_sign_in_goes_home(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    await signed_in(browser, "alice")
    response = await browser.get("/auth/sign_in", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/"


# --- cookies ---


async def test_session_cookie_flags_on_an_https_site(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    response = await sign_in(browser, "alice")
    header = set_cookie_header(response, "rukun_session")
    flags = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")}
    assert "httponly" in flags
    assert "secure" in flags
    assert flags["samesite"].lower() == "samesite=lax"
    assert flags["path"] == "Path=/"
    assert "expires" not in flags and "max-age" not in flags  # a browser-session cookie


async def test_cookies_are_not_secure_on_a_plain_http_development_site(
    pool: asyncpg.Pool, make_member: MakeMember
) -> None:
    await make_member("alice")
    client = await start_browser(WebConfig(site=Site("localhost:8080", "http")), pool)
    try:
        form = await client.get("/auth/sign_in")
        assert "secure" not in set_cookie_header(form, "rukun_csrf").lower()
        response = await sign_in(client, "alice")
        header = set_cookie_header(response, "rukun_session").lower()
        assert "secure" not in header
        assert "httponly" in header
    finally:
        await client.close()


# --- CSRF ---


async def test_sign_in_without_the_form_token_is_refused(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    await form_token(browser, "/auth/sign_in")  # the visitor has the double-submit cookie
    credentials = {"login": "alice", "password": PASSWORD}
    missing = await browser.post("/auth/sign_in", data=credentials, allow_redirects=False)
    assert missing.status == 403
    assert missing.content_type == "text/html"
    forged = await browser.post(
        "/auth/sign_in",
        data={**credentials, "authenticity_token": "x" * 43},
        headers={"Accept": "application/json"},
        allow_redirects=False,
    )
    assert forged.status == 403
    assert "error" in await forged.json()
    assert "rukun_session" not in forged.cookies


async def test_sign_in_without_the_cookie_is_refused(
    client: TestClient, make_member: MakeMember
) -> None:
    # This client's jar does not send Secure cookies over http: the token alone is not enough.
    await make_member("alice")
    token = await form_token(client, "/auth/sign_in")
    response = await client.post(
        "/auth/sign_in",
        data={"authenticity_token": token, "login": "alice", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.status == 403


async def test_cross_site_origin_is_refused(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("alice")
    token = await form_token(browser, "/auth/sign_in")
    form = {"authenticity_token": token, "login": "alice", "password": PASSWORD}
    for headers in (
        {"Origin": "https://evil.test"},
        {"Origin": "null"},
        {"Origin": f"https://{TEST_DOMAIN}.evil.test"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        refused = await browser.post(
            "/auth/sign_in", data=form, headers=headers, allow_redirects=False
        )
        assert refused.status == 403
    same_site = await browser.post(
        "/auth/sign_in",
        data=form,
        headers={"Origin": f"https://{TEST_DOMAIN}"},
        allow_redirects=False,
    )
    assert same_site.status == 303

    session_token = await form_token(browser, "/")
    cross = await browser.post(
        "/auth/sign_out",
        data={"authenticity_token": session_token},
        headers={"Origin": "https://evil.test"},
        allow_redirects=False,
    )
    assert cross.status == 403
    assert (await browser.get("/")).status == 200


async def test_sign_out_needs_the_token_then_ends_the_session(
    browser: TestClient, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("alice")
    cookie = await signed_in(browser, "alice")

    refused = await browser.post("/auth/sign_out", allow_redirects=False)
    assert refused.status == 403
    wrong = await browser.post(
        "/auth/sign_out", data={"authenticity_token": "nope"}, allow_redirects=False
    )
    assert wrong.status == 403
    assert await session_for(conn, cookie) is not None

    token = await form_token(browser, "/")
    response = await browser.post(
        "/auth/sign_out", data={"authenticity_token": token}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/auth/sign_in"
    assert "max-age=0" in set_cookie_header(response, "rukun_session").lower()
    assert await session_for(conn, cookie) is None
    assert (await browser.get("/", allow_redirects=False)).status == 302


# --- rate limiting ---


async def test_repeated_failures_from_one_address_are_rate_limited(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    for attempt in range(5):
        response = await sign_in(browser, f"guess{attempt}", "wrong password")
        assert response.status == 401
    limited = await sign_in(browser, "alice")  # even the right password waits now
    assert limited.status == 429
    assert limited.headers["Retry-After"] == "300"
    assert "Too many failed sign-in attempts" in await limited.text()
    assert "rukun_session" not in limited.cookies


async def test_repeated_failures_for_one_login_are_rate_limited(
    browser: TestClient, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("alice")
    for _ in range(5):  # someone elsewhere guessing alice's password
        await record_sign_in_attempt(conn, "203.0.113.7", "alice", False)
    limited = await sign_in(browser, "ALICE")
    assert limited.status == 429
    assert "Retry-After" in limited.headers
    assert (await sign_in(browser, "bob")).status == 401  # other names are not affected


# --- redirects after sign-in ---


@pytest.mark.parametrize(
    "target",
    [
        "//evil.test/",
        "https://evil.test/",
        "/\\evil.test",
        "\\\\evil.test",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1".replace("%0d%0a", "\r\n"),
        "",
        "relative/path",
    ],
)
def test_safe_next_only_keeps_same_site_paths(target: str) -> None:
    assert safe_next(target) == "/"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/@alice?tab=posts") == "/@alice?tab=posts"
    assert safe_next("/") == "/"


async def test_open_redirect_next_is_ignored(browser: TestClient, make_member: MakeMember) -> None:
    await make_member("alice")
    page = await browser.get("/auth/sign_in", params={"next": "//evil.test"})
    assert 'name="next" value="/"' in await page.text()
    token = await form_token(browser, "/auth/sign_in")
    for target in ("//evil.test", "https://evil.test/x", "/\\evil.test"):
        response = await browser.post(
            "/auth/sign_in",
            data={
                "authenticity_token": token,
                "login": "alice",
                "password": PASSWORD,
                "next": target,
            },
            allow_redirects=False,
        )
        assert response.status == 303
        assert response.headers["Location"] == "/"


# --- a one-time password must be changed ---


async def test_first_admin_must_change_the_one_time_password(
    browser: TestClient, conn: asyncpg.Connection
) -> None:
    created = await ensure_first_admin(conn, "root")
    assert created is not None
    _, one_time = created

    response = await sign_in(browser, "root", one_time)
    assert response.status == 303
    assert response.headers["Location"] == "/auth/password"
    for path in ("/", "/@root"):
        held = await browser.get(path, allow_redirects=False)
        assert held.status == 302
        assert held.headers["Location"] == "/auth/password"

    token = await form_token(browser, "/auth/password")

    async def change(current: str, new: str, confirm: str) -> aiohttp.ClientResponse:
        form = {
            "authenticity_token": token,
            "current_password": current,
            "new_password": new,
            "password_confirmation": confirm,
        }
        return await browser.post("/auth/password", data=form, allow_redirects=False)

    assert (await change("wrong guess", "a fresh secret", "a fresh secret")).status == 422
    assert (await change(one_time, "a fresh secret", "a fresh secreT")).status == 422
    assert (await change(one_time, one_time, one_time)).status == 422
    short = await change(one_time, "short", "short")
    assert short.status == 422
    assert "at least 8 characters" in await short.text()
    no_token = await browser.post(
        "/auth/password",
        data={
            "current_password": one_time,
            "new_password": "x" * 12,
            "password_confirmation": "x" * 12,
        },
        allow_redirects=False,
    )
    assert no_token.status == 403

    done = await change(one_time, "a fresh secret", "a fresh secret")
    assert done.status == 303
    assert done.headers["Location"] == "/"
    assert (await browser.get("/")).status == 200

    browser.session.cookie_jar.clear()
    assert (await sign_in(browser, "root", one_time)).status == 401
    assert (await sign_in(browser, "root", "a fresh secret")).status == 303


async def test_password_page_needs_a_session(client: TestClient) -> None:
    response = await client.get("/auth/password", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"].startswith("/auth/sign_in?next=")


# --- what pages show, and how ---


async def test_profile_shows_member_text_escaped(
    browser: TestClient, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("mallory", display_name="<script>alert('name')</script>")
    await conn.execute(
        """UPDATE accounts SET note = $1, fields = $2, department = $3, job_title = $4,
                               location = $5
           WHERE username = 'mallory'""",
        '<img src=x onerror="alert(1)">\nSecond line',
        [{"name": "<b>Team</b>", "value": '<a href="javascript:x">Blue</a>'}, "junk"],
        "Research & Development",
        "Chief <i>Tester</i>",
        "Kuala Lumpur",
    )
    await make_member("alice")
    await signed_in(browser, "alice")

    response = await browser.get("/@mallory")
    assert response.status == 200
    page = await response.text()
    for raw in ("<script>alert", "<img src=x", "<b>Team", '<a href="javascript', "<i>Tester"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "&lt;b&gt;Team&lt;/b&gt;" in page
    assert "Research &amp; Development" in page
    assert "Kuala Lumpur" in page
    assert f"@mallory@{TEST_DOMAIN}" in page


async def test_pages_carry_the_content_security_policy(
    browser: TestClient, make_member: MakeMember
) -> None:
    await make_member("alice")
    sign_in_page = await browser.get("/auth/sign_in")
    assert "script-src 'self'" in sign_in_page.headers["Content-Security-Policy"]
    await signed_in(browser, "alice")
    for path in ("/", "/@alice", "/auth/password"):
        response = await browser.get(path)
        assert response.status == 200
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert '<link rel="stylesheet" href="/static/rukun.css">' in await response.text()
    stylesheet = await browser.get("/static/rukun.css")
    assert stylesheet.status == 200
    assert stylesheet.content_type == "text/css"


def test_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text().lower()
        # Scripts only from /static, with nothing inside the element.
        outside = re.sub(r'<script src="/static/[a-z_-]+\.js" defer></script>', "", text)
        assert "<script" not in outside, template
        assert "<style" not in text, template
        assert " style=" not in text, template
        assert re.search(r"\son[a-z]+=", text) is None, template
        assert "|safe" not in text.replace(" ", ""), template

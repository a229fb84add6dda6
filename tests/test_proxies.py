"""Behind a TLS-terminating proxy: X-Forwarded-For/-Proto/-Host are believed only from the
configured proxy networks, and then decide the client address the sign-in limits count, the
scheme and host the CSRF origin check compares, and the request URL."""

from __future__ import annotations

import html
import ipaddress
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node.settings import SettingsError, load
from tests.conftest import TEST_DOMAIN, MakeMember
from tests.test_signin import PASSWORD, start_browser
from web.config import WebConfig
from web.proxies import TrustedProxies

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
ELSEWHERE = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
TOKEN_FIELD = re.compile(r'name="authenticity_token" value="([^"]*)"')
FORWARDED = {
    "X-Forwarded-For": "203.0.113.66, 198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "social.example",
}


async def echo(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "remote": request.remote,
            "scheme": request.scheme,
            "secure": request.secure,
            "host": request.host,
            "url": str(request.url),
        }
    )


@pytest.fixture
async def echo_for() -> AsyncIterator[Any]:
    """`await echo_for(networks)`: a client of a server (on 127.0.0.1) trusting `networks`."""
    clients: list[TestClient] = []

    async def start(networks: tuple[Any, ...]) -> TestClient:
        app = web.Application(middlewares=[TrustedProxies(networks).middleware])
        app.router.add_get("/echo", echo)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


async def echoed(client: TestClient, headers: dict[str, str] | list[tuple[str, str]]) -> Any:
    response = await client.get("/echo", headers=headers)
    assert response.status == 200
    return await response.json()


# --- the middleware ---


async def test_headers_from_a_trusted_proxy_are_believed(echo_for: Any) -> None:
    client = await echo_for(LOOPBACK)
    seen = await echoed(client, FORWARDED)
    # The proxy appended the address it saw; what the client itself wrote further left is not
    assert seen["remote"] == "198.51.100.7"
    assert (seen["scheme"], seen["secure"], seen["host"]) == ("https", True, "social.example")
    assert seen["url"] == "https://social.example/echo"


async def test_headers_from_anyone_else_are_ignored(echo_for: Any) -> None:
    client = await echo_for(ELSEWHERE)
    seen = await echoed(client, FORWARDED)
    assert seen["remote"] == "127.0.0.1"
    assert (seen["scheme"], seen["secure"]) == ("http", False)
    assert seen["host"] == f"127.0.0.1:{client.port}"


async def test_a_chain_of_trusted_proxies_is_walked_from_the_right(echo_for: Any) -> None:
    client = await echo_for((*LOOPBACK, *ELSEWHERE))
    chain = {"X-Forwarded-For": "203.0.113.66, 198.51.100.7, 10.1.2.3, fd00::5"}
    assert (await echoed(client, chain))["remote"] == "198.51.100.7"
    # Repeated header lines count as one list, in order
    lines = [("X-Forwarded-For", "203.0.113.66"), ("X-Forwarded-For", "198.51.100.9, 10.0.0.2")]
    assert (await echoed(client, lines))["remote"] == "198.51.100.9"
    # Only proxies all the way: the leftmost is the best that is known
    assert (await echoed(client, {"X-Forwarded-For": "10.0.0.9, 10.0.0.2"}))["remote"] == (
        "10.0.0.9"
    )


async def test_nonsense_in_the_headers_changes_nothing(echo_for: Any) -> None:
    client = await echo_for(LOOPBACK)
    seen = await echoed(
        client,
        {
            "X-Forwarded-For": "unknown",
            "X-Forwarded-Proto": "javascript",
            "X-Forwarded-Host": "evil.test/path?x",
        },
    )
    assert seen["remote"] == "127.0.0.1"
    assert seen["scheme"] == "http"
    assert seen["host"] == f"127.0.0.1:{client.port}"
    # Of Proto and Host, our own proxy wrote the last value
    seen = await echoed(
        client,
        {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.test, Social.Example"},
    )
    assert (seen["scheme"], seen["host"]) == ("https", "social.example")
    assert (await echoed(client, {}))["remote"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("entry", "client"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("198.51.100.7:5123", "198.51.100.7"),
        ("2001:db8::7", "2001:db8::7"),
        ("[2001:db8::7]", "2001:db8::7"),
        ("[2001:db8::7]:5123", "2001:db8::7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not-an-address", "127.0.0.1"),
    ],
)
def test_forwarded_address_forms(entry: str, client: str) -> None:
    proxies = TrustedProxies(LOOPBACK)
    found = proxies.client_address(ipaddress.ip_address("127.0.0.1"), [entry])
    assert str(found) == client


def test_an_ipv4_mapped_peer_is_judged_as_ipv4() -> None:
    proxies = TrustedProxies(LOOPBACK)
    peer = ipaddress.ip_address("::ffff:127.0.0.1").ipv4_mapped
    assert proxies.trusts(peer)
    assert not proxies.trusts(ipaddress.ip_address("::1"))
    assert not proxies.trusts(None)


# --- what depends on it: sign-in limits and the CSRF origin check ---


@pytest.fixture
async def proxied(web_config: WebConfig, pool: asyncpg.Pool) -> AsyncIterator[Any]:
    """`await proxied(networks)`: a browser-like client of the node trusting `networks`."""
    clients: list[TestClient] = []

    async def start(networks: tuple[Any, ...]) -> TestClient:
        client = await start_browser(replace(web_config, trusted_proxies=networks), pool)
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


async def sign_in_from(
    client: TestClient, address: str, login: str, password: str, **headers: str
) -> int:
    page = await client.get("/auth/sign_in")
    match = TOKEN_FIELD.search(await page.text())
    assert match is not None
    form = {"authenticity_token": html.unescape(match[1]), "login": login, "password": password}
    response = await client.post(
        "/auth/sign_in",
        data=form,
        headers={"X-Forwarded-For": address, **headers},
        allow_redirects=False,
    )
    return response.status


async def test_sign_in_limits_count_each_client_behind_the_proxy(
    proxied: Any, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("alice")
    browser = await proxied(LOOPBACK)
    # Given five failures from one client behind the proxy
    for attempt in range(5):
        assert await sign_in_from(browser, "198.51.100.7", f"guess{attempt}", "wrong") == 401
    # Then that client waits, even with the right password
    assert await sign_in_from(browser, "198.51.100.7", "alice", PASSWORD) == 429
    # But another client of the same proxy is not locked out
    assert await sign_in_from(browser, "198.51.100.8", "alice", PASSWORD) == 303
    addresses = await conn.fetch("SELECT DISTINCT host(ip) AS ip FROM sign_in_attempts")
    assert {row["ip"] for row in addresses} == {"198.51.100.7", "198.51.100.8"}


async def test_a_direct_client_cannot_pick_its_address(
    proxied: Any, make_member: MakeMember, conn: asyncpg.Connection
) -> None:
    await make_member("alice")
    browser = await proxied(ELSEWHERE)  # connections from 127.0.0.1 are not from a proxy
    for attempt in range(5):
        assert await sign_in_from(browser, f"198.51.100.{attempt}", f"guess{attempt}", "x") == 401
    assert await sign_in_from(browser, "198.51.100.99", "alice", PASSWORD) == 429
    addresses = await conn.fetch("SELECT DISTINCT host(ip) AS ip FROM sign_in_attempts")
    assert {row["ip"] for row in addresses} == {"127.0.0.1"}


async def test_the_origin_check_compares_with_what_the_proxy_saw(
    proxied: Any, make_member: MakeMember
) -> None:
    await make_member("alice")
    seen_by_proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "alias.example"}
    origin = {"Origin": "https://alias.example", **seen_by_proxy}
    # From anyone but the proxy, the forwarded host is no reason to accept that origin
    direct = await proxied(ELSEWHERE)
    assert await sign_in_from(direct, "198.51.100.7", "alice", PASSWORD, **origin) == 403
    assert await sign_in_from(direct, "198.51.100.7", "alice", PASSWORD, **seen_by_proxy) == 303
    # Through the proxy, a page on another scheme is still another origin
    browser = await proxied(LOOPBACK)
    other_scheme = {**origin, "Origin": "http://alias.example"}
    assert await sign_in_from(browser, "198.51.100.7", "alice", PASSWORD, **other_scheme) == 403
    # But the host and scheme the browser really used are ours
    assert await sign_in_from(browser, "198.51.100.7", "alice", PASSWORD, **origin) == 303
    # And the site's own origin always is (a new browser: this one is signed in now)
    own = {"Origin": f"https://{TEST_DOMAIN}"}
    assert await sign_in_from(
        await proxied(LOOPBACK), "198.51.100.8", "alice", PASSWORD, **own
    ) == (303)


# --- the setting ---


def test_trusted_proxies_setting(tmp_path: Any) -> None:
    settings = load({"trusted_proxies": "127.0.0.1, 10.0.0.0/8, ::1"}, environ={})
    assert settings.trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    toml = tmp_path / "rukun.toml"
    toml.write_text('trusted_proxies = ["192.0.2.0/24", "2001:db8::/32"]\n')
    assert load({}, environ={}, config_file=toml).trusted_proxies == (
        ipaddress.ip_network("192.0.2.0/24"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    environ = {"RUKUN_TRUSTED_PROXIES": "172.16.0.0/12"}
    assert load({}, environ=environ).trusted_proxies == (ipaddress.ip_network("172.16.0.0/12"),)
    assert load({}, environ={}).trusted_proxies == ()
    for wrong in ("10.0.0.1/8", "proxy.internal", "10.0.0.0/33"):
        with pytest.raises(SettingsError) as caught:
            load({"trusted_proxies": wrong}, environ={})
        assert str(caught.value).startswith("trusted_proxies: ")
    with pytest.raises(SettingsError) as caught:
        load({}, environ={"RUKUN_TRUSTED_PROXIES": "nope"})
    assert "(from RUKUN_TRUSTED_PROXIES)" in str(caught.value)


async def test_https_as_the_proxy_saw_it_asks_browsers_to_keep_to_https(proxied: Any) -> None:
    browser = await proxied(LOOPBACK)
    secure = await browser.get("/auth/sign_in", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = await browser.get("/auth/sign_in")
    assert "Strict-Transport-Security" not in plain.headers
    # A client that is not the proxy cannot claim https for itself
    direct = await proxied(ELSEWHERE)
    claimed = await direct.get("/auth/sign_in", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers

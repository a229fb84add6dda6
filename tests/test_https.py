"""HTTPS as in production: nodes serving TLS on loopback under host names (`a.test`, `b.test`)
with certificates from a test CA, the federation client trusting the system store plus a CA
bundle, and `rukun serve --tls-cert --tls-key` as a real process."""

from __future__ import annotations

import asyncio
import ipaddress
import signal
import ssl
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from actors.signers import open_federation_client
from federation.http_client import (
    ClientConfig,
    FederationClient,
    FetchCertificateError,
    FetchRefusedError,
    FetchUnreachableError,
    tls_context,
)
from node.serve import web_config
from node.settings import Settings, SettingsError, load
from tests import test_serve
from tests.certificates import TestCA
from tests.live import LiveNode
from tests.test_cli import run_rukun
from tests.test_serve import StartNode

start_node = test_serve.start_node  # the fixture starting `rukun serve` processes


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    directory = tmp_path / "pki"
    directory.mkdir()
    return TestCA(directory)


@pytest.fixture
def https_nodes(
    fresh_database: Callable[[], str], tmp_path: Path, ca: TestCA
) -> Iterator[dict[str, LiveNode]]:
    """`a.test` and `b.test` serving HTTPS on loopback, reached by name through the resolve map,
    their clients https-only and trusting the test CA. `c.test` leads to b.test's server,
    whose certificate does not name it."""
    resolve: dict[str, tuple[str, int]] = {}
    client = ClientConfig(resolve=resolve, ca_bundle=str(ca.bundle), user_agent="Rukun https")
    nodes = {
        domain: LiveNode(
            fresh_database(),
            tmp_path / domain / "media",
            domain=domain,
            scheme="https",
            ssl_context=ca.issue(domain).server_context(),
            client=client,
        )
        for domain in ("a.test", "b.test")
    }
    for domain, node in nodes.items():
        resolve[domain] = ("127.0.0.1", node.port)
    resolve["c.test"] = resolve["b.test"]
    started: list[LiveNode] = []
    try:
        for node in nodes.values():
            started.append(node.start())
        yield nodes
    finally:
        for node in started:
            node.stop()


def fetch_with(node: LiveNode, url: str, client_config: ClientConfig | None = None) -> Any:
    """Fetch `url` with a client signed by `node`'s instance actor (the node's own client, or
    one made with `client_config`); returns the document or the FetchError raised."""

    async def fetch() -> Any:
        client = node.federation
        if client_config is not None:
            assert node.pool is not None
            async with node.pool.acquire() as conn:
                client = await open_federation_client(conn, node.site, client_config)
        try:
            return await client.fetch_object(url)
        except Exception as error:  # handed back to the test thread to assert on
            return error
        finally:
            if client_config is not None:
                await client.close()

    return node.call(fetch)


# --- two nodes over HTTPS ---


def test_a_fetches_b_actor_over_https_trusting_the_test_ca(
    https_nodes: dict[str, LiveNode],
) -> None:
    a, b = https_nodes["a.test"], https_nodes["b.test"]
    b.member("bob")
    # When a.test's signed client asks for bob by his https id
    bob = fetch_with(a, "https://b.test/users/bob")
    # Then b.test answered over TLS with the document its https ids are minted in
    assert isinstance(bob, dict), bob
    assert bob["id"] == "https://b.test/users/bob"
    assert bob["preferredUsername"] == "bob"
    assert bob["inbox"] == "https://b.test/users/bob/inbox"
    assert bob["publicKey"]["owner"] == "https://b.test/users/bob"
    # And the other way round
    instance = fetch_with(b, "https://a.test/actor")
    assert isinstance(instance, dict), instance
    assert instance["id"] == "https://a.test/actor"
    # A production client never falls back to plain HTTP
    plain = fetch_with(a, "http://b.test/users/bob")
    assert isinstance(plain, FetchRefusedError)
    assert "http:// is not allowed" in str(plain)


def test_without_the_ca_the_certificate_is_refused(https_nodes: dict[str, LiveNode]) -> None:
    a = https_nodes["a.test"]
    https_nodes["b.test"].member("bob")
    without_ca = replace(a.config.client, ca_bundle=None)
    refused = fetch_with(a, "https://b.test/users/bob", without_ca)
    assert isinstance(refused, FetchCertificateError), refused
    assert refused.url == "https://b.test/users/bob"
    assert "certificate of b.test refused" in str(refused)
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused)


def test_a_certificate_for_another_host_is_refused(https_nodes: dict[str, LiveNode]) -> None:
    a = https_nodes["a.test"]
    https_nodes["b.test"].member("bob")
    # c.test reaches b.test's server, which shows a certificate (from the trusted CA) for b.test
    refused = fetch_with(a, "https://c.test/users/bob")
    assert isinstance(refused, FetchCertificateError), refused
    assert "certificate of c.test refused" in str(refused)
    assert "Hostname mismatch" in str(refused)

    async def deliver() -> Any:
        try:
            return await a.federation.post_activity("https://c.test/inbox", b"{}")
        except Exception as error:
            return error

    assert isinstance(a.call(deliver), FetchCertificateError)


async def test_the_ca_bundle_adds_to_the_system_store(ca: TestCA, tmp_path: Path) -> None:
    system = ssl.create_default_context().cert_store_stats()["x509_ca"]
    assert tls_context().cert_store_stats()["x509_ca"] == system
    assert tls_context(str(ca.bundle)).cert_store_stats()["x509_ca"] == system + 1
    context = tls_context(str(ca.bundle))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    with pytest.raises(OSError):
        tls_context(str(tmp_path / "missing.pem"))
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        FederationClient(ClientConfig(ca_bundle=str(not_pem)))


# --- `rukun serve` serving TLS itself ---


async def presented_certificate(port: int, ca: TestCA, host: str = "a.test") -> bytes:
    """The DER certificate the server on `port` shows to a client asking for `host`."""
    _, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=tls_context(str(ca.bundle)), server_hostname=host
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes = ssl_object.getpeercert(binary_form=True)
        return der
    finally:
        writer.close()
        await writer.wait_closed()


async def test_rukun_serve_answers_https_and_reloads_its_certificate_on_sighup(
    start_node: StartNode, database_url: str, ca: TestCA
) -> None:
    # Given a node started with a certificate for its domain
    first = ca.issue("a.test", file_name="served")
    node = await start_node(
        "--database-url",
        database_url,
        "--domain",
        "a.test",
        "--tls-cert",
        str(first.cert),
        "--tls-key",
        str(first.key),
    )
    assert f"Rukun a.test listening on https://127.0.0.1:{node.port}\n" in node.stdout
    # Then a federation client trusting the CA fetches its actor over https by name
    config = ClientConfig(resolve={"a.test": ("127.0.0.1", node.port)}, ca_bundle=str(ca.bundle))
    async with FederationClient(config) as client:
        instance = await client.fetch_object("https://a.test/actor")
        assert instance["id"] == "https://a.test/actor"
        assert instance["inbox"].startswith("https://a.test/")
    assert await presented_certificate(node.port, ca) == first.der
    # And plain HTTP on the TLS port gets no answer
    plain = ClientConfig(resolve={"a.test": ("127.0.0.1", node.port)}, insecure_http=True)
    async with FederationClient(plain) as client:
        with pytest.raises(FetchUnreachableError):
            await client.fetch_object("http://a.test/actor")

    # When the certificate is renewed in place and the process gets SIGHUP
    renewed = ca.issue("a.test", file_name="served")
    node.process.send_signal(signal.SIGHUP)
    # Then new connections get the renewed certificate, without a restart
    await wait_for_log(node, "certificate reloaded")
    assert await presented_certificate(node.port, ca) == renewed.der

    # When a renewal is half-written (a new certificate beside the old key)
    key_before = renewed.key.read_bytes()
    broken = ca.issue("a.test", file_name="served")
    broken.key.write_bytes(key_before)
    node.process.send_signal(signal.SIGHUP)
    await wait_for_log(node, "certificate not reloaded")
    # Then the previous pair stays in service
    assert await presented_certificate(node.port, ca) == renewed.der
    assert await node.stop() == 0


async def wait_for_log(node: test_serve.Node, text: str, within: float = 15.0) -> None:
    """Poll the node's collected stderr until a line has `text` (the signal is asynchronous)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not any(text in line for line in node.stderr):
        assert loop.time() < deadline, f"no log line with {text!r}:\n{''.join(node.stderr)}"
        await asyncio.sleep(0.02)


async def test_rukun_serve_refuses_a_key_that_does_not_match(ca: TestCA, tmp_path: Path) -> None:
    cert = ca.issue("a.test")
    other = ca.issue("b.test")
    run = await run_rukun(
        "serve",
        "--domain",
        "a.test",
        "--tls-cert",
        str(cert.cert),
        "--tls-key",
        str(other.key),
        env=test_serve.clean_environment(),
        cwd=tmp_path,
    )
    assert run.code == 1
    assert "tls_cert/tls_key: cannot use" in run.error_line
    assert "KEY_VALUES_MISMATCH" in run.error_line


# --- settings ---


def test_tls_settings(ca: TestCA, tmp_path: Path) -> None:
    issued = ca.issue("social.example")
    files = {"tls_cert": str(issued.cert), "tls_key": str(issued.key)}
    settings = load(files, environ={})
    assert (settings.tls_cert, settings.tls_key) == (issued.cert, issued.key)
    # Serving TLS, even on a loopback name, mints https ids
    assert settings.insecure_http is False
    assert settings.base_url == "https://localhost:8080"
    environ = {"RUKUN_TLS_CERT": str(issued.cert), "RUKUN_TLS_KEY": str(issued.key)}
    assert load({}, environ=environ).tls_cert == issued.cert
    toml = tmp_path / "rukun.toml"
    toml.write_text(f'domain = "social.example"\nca_bundle = "{ca.bundle}"\n')
    from_file = load({}, environ={}, config_file=toml)
    assert from_file.ca_bundle == ca.bundle
    assert load({"ca_bundle": ""}, environ={}, config_file=toml).ca_bundle is None
    assert Settings().tls_cert is None and Settings().ca_bundle is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tls_cert": "CERT"}, "tls_cert and tls_key: give both"),
        ({"tls_key": "KEY"}, "tls_cert and tls_key: give both"),
        ({"tls_cert": "CERT", "tls_key": "MISSING"}, "tls_key: no file at"),
        ({"tls_cert": "CERT", "tls_key": "KEY", "insecure_http": "true"}, "insecure_http"),
        ({"ca_bundle": "MISSING"}, "ca_bundle: no file at"),
    ],
)
def test_tls_settings_mistakes(
    values: dict[str, str], message: str, ca: TestCA, tmp_path: Path
) -> None:
    issued = ca.issue("social.example")
    paths = {"CERT": str(issued.cert), "KEY": str(issued.key), "MISSING": str(tmp_path / "no")}
    flags = {name: paths.get(value, value) for name, value in values.items()}
    with pytest.raises(SettingsError) as caught:
        load(flags, environ={})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_serve_hands_the_https_settings_down(ca: TestCA) -> None:
    flags = {"domain": "social.example", "trusted_proxies": "10.0.0.0/8", "ca_bundle": ca.bundle}
    config = web_config(load(flags, environ={}))
    assert config.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"),)
    assert config.client.ca_bundle == str(ca.bundle)
    assert not config.client.insecure_http
    assert config.site.base_url == "https://social.example"
    assert config.secure_cookies

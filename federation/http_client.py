"""The federation HTTP client: an aiohttp session that signs every request, connects only
where the address guard allows, and two operations on it — fetch an ActivityStreams object,
POST an activity to an inbox.

Signing is a client middleware (aiohttp ≥ 3.12), so a request sent again (a retry, a redirect
hop) is signed again with a fresh `Date`. The signer is per request: deliveries are signed
by the author's key, fetches usually by the instance actor's."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse, hdrs
from yarl import URL

from federation.address_guard import AddressGuard, AddressRefusedError
from federation.media_types import (
    ACTIVITY_JSON,
    LD_JSON_ACTIVITYSTREAMS,
    is_activitystreams,
    parse_accept,
)
from federation.signatures import sign_request
from federation.signing_keys import PrivateKey, load_private_key

ACCEPT_ACTIVITYSTREAMS = f"{ACTIVITY_JSON}, {LD_JSON_ACTIVITYSTREAMS}"
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """`resolve`: domain (or `domain:port`) → (ip, port), trusted. `insecure_http` allows
    `http://` URLs (development, loopback nodes in tests); otherwise only https. Servers'
    certificates are checked against the system CA store plus `ca_bundle` (a PEM file) when
    given: a private CA between partner nodes, or a test CA."""

    resolve: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    allow_private_addresses: bool = False
    user_agent: str = "Rukun"
    timeout: float = 20.0
    max_bytes: int = 1_048_576
    insecure_http: bool = False
    ca_bundle: str | None = None


class FetchError(Exception):
    """A federation request failed; `url` is what was asked for, the message is loggable."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


class FetchRefusedError(FetchError):
    """Refused before sending: non-public address, scheme not allowed, cross-host redirect."""


class FetchNotFoundError(FetchError):
    """404: no such object (yet, or any more)."""


class FetchGoneError(FetchNotFoundError):
    """410: the object was deleted; callers treat it as a Delete."""


class FetchBadContentError(FetchError):
    """The answer is not an ActivityStreams JSON object."""


class FetchTooLargeError(FetchError):
    """The body is larger than `max_bytes`."""


class FetchTimeoutError(FetchError):
    """The whole exchange took longer than `timeout`."""


class FetchUnreachableError(FetchError):
    """DNS, TCP or TLS failed: the host could not be reached."""


class FetchCertificateError(FetchUnreachableError):
    """The server's TLS certificate is not trusted or does not name the host asked for."""


class FetchHttpError(FetchError):
    """Any other non-success status (or too many redirects)."""

    def __init__(self, url: str, message: str, status: int) -> None:
        super().__init__(url, message)
        self.status = status


@dataclass(frozen=True, slots=True)
class DeliveryResponse:
    """What an inbox answered: the status and, if sent, `Retry-After` in seconds."""

    status: int
    retry_after: float | None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RequestSigner:
    """A client middleware signing each request with draft-cavage HTTP Signatures, as
    Mastodon expects. Headers from an earlier signing of the same request are replaced."""

    key_id: str
    private_key: PrivateKey
    clock: Callable[[], datetime] = _now

    @classmethod
    def from_pem(cls, key_id: str, private_key_pem: str) -> RequestSigner:
        return cls(key_id, load_private_key(private_key_pem))

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        for name in (hdrs.DATE, "Signature", "Digest"):
            request.headers.popall(name, None)
        has_body = request.method not in (hdrs.METH_GET, hdrs.METH_HEAD) or bool(request.body)
        body = (await request.body.as_bytes()) if request.body else b""
        request.headers.update(
            sign_request(
                request.method,
                str(request.url),
                request.headers,
                body if has_body else None,
                key_id=self.key_id,
                private_key_pem=self.private_key,
                now=self.clock(),
            )
        )
        return await handler(request)


class _SchemeAndAddressCheck:
    """A client middleware refusing disallowed schemes and non-public IP-literal hosts."""

    def __init__(self, guard: AddressGuard, insecure_http: bool) -> None:
        self._guard = guard
        self._schemes = frozenset({"https", "http"} if insecure_http else {"https"})

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        if request.url.scheme not in self._schemes:
            raise FetchRefusedError(str(request.url), f"{request.url.scheme}:// is not allowed")
        try:
            self._guard.check_host(request.url.raw_host or "", request.url.port or 0)
        except AddressRefusedError as error:
            raise FetchRefusedError(str(request.url), str(error)) from None
        return await handler(request)


def address_check(config: ClientConfig) -> aiohttp.ClientMiddlewareType:
    """The middleware refusing disallowed schemes and non-public IP-literal hosts; put it
    first in any `middlewares=` a request passes (aiohttp then replaces the session's list)."""
    guard = AddressGuard(config.resolve, allow_private_addresses=config.allow_private_addresses)
    return _SchemeAndAddressCheck(guard, config.insecure_http)


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A verifying client context (TLS 1.2 or later, host names checked) trusting the system
    CA store and, when given, the CAs in the PEM file `ca_bundle` as well.

    Raises OSError (FileNotFoundError, ssl.SSLError) when the bundle cannot be read."""
    # `create_default_context(cafile=...)` would trust that file *instead of* the system store.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def create_session(
    config: ClientConfig, signer: RequestSigner | None = None
) -> aiohttp.ClientSession:
    """A session for federation: the resolve map, the address guard and the TLS trust of
    `config` in its connector, the address check and (when given) the signer as its
    middlewares. Call inside the event loop; close it when done."""
    guard = AddressGuard(config.resolve, allow_private_addresses=config.allow_private_addresses)
    check = address_check(config)
    connector = aiohttp.TCPConnector(
        resolver=guard.resolver(),
        socket_factory=guard.socket_factory,
        ssl=tls_context(config.ca_bundle),
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={hdrs.USER_AGENT: config.user_agent},
        middlewares=(check, signer) if signer is not None else (check,),
        timeout=aiohttp.ClientTimeout(total=config.timeout),
        trust_env=False,
        raise_for_status=False,
    )


def _refusal(url: str, error: aiohttp.ClientConnectorError) -> FetchError:
    if isinstance(error.os_error, AddressRefusedError):
        return FetchRefusedError(url, str(error.os_error))
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return FetchCertificateError(
            url, f"certificate of {URL(url).host} refused: {error.certificate_error}"
        )
    return FetchUnreachableError(url, f"cannot reach {URL(url).host}: {error.os_error}")


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


async def _read_capped(response: ClientResponse, url: str, max_bytes: int) -> bytes:
    if (response.content_length or 0) > max_bytes:
        raise FetchTooLargeError(url, f"body of {response.content_length} bytes is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchTooLargeError(url, f"body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class FederationClient:
    """One session for a process's federation traffic. `signer` signs requests that do not
    bring their own (usually the instance actor)."""

    def __init__(self, config: ClientConfig, signer: RequestSigner | None = None) -> None:
        self.config = config
        self.session = create_session(config, signer)
        self._check = address_check(config)

    async def close(self) -> None:
        await self.session.close()

    async def __aenter__(self) -> FederationClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _check_scheme(self, url: URL) -> None:
        # aiohttp refuses non-HTTP schemes before any middleware runs: say why here.
        if url.scheme not in ("https", "http") or (
            url.scheme == "http" and not self.config.insecure_http
        ):
            raise FetchRefusedError(str(url), f"{url.scheme}:// is not allowed")

    def _middlewares(
        self, signer: RequestSigner | None
    ) -> tuple[aiohttp.ClientMiddlewareType, ...] | None:
        return None if signer is None else (self._check, signer)

    async def fetch_object(
        self, url: str, *, signer: RequestSigner | None = None
    ) -> dict[str, Any]:
        """GET an ActivityStreams object. Follows at most 3 redirects, all on the same host
        and port. The answer must be 200 with an ActivityStreams content type and a JSON
        object of at most `max_bytes`, all within `timeout` seconds.

        Raises FetchRefusedError, FetchNotFoundError, FetchGoneError, FetchBadContentError,
        FetchTooLargeError, FetchTimeoutError, FetchUnreachableError (FetchCertificateError
        when the TLS certificate is refused) or FetchHttpError."""
        try:
            async with asyncio.timeout(self.config.timeout):
                return await self._fetch(url, signer)
        except TimeoutError:
            raise FetchTimeoutError(url, f"no answer within {self.config.timeout:g} s") from None

    async def _fetch(self, url: str, signer: RequestSigner | None) -> dict[str, Any]:
        origin = URL(url)
        current = origin
        status = 0
        for _ in range(MAX_REDIRECTS + 1):
            self._check_scheme(current)
            try:
                async with self.session.get(
                    current,
                    headers={hdrs.ACCEPT: ACCEPT_ACTIVITYSTREAMS},
                    allow_redirects=False,
                    middlewares=self._middlewares(signer),
                ) as response:
                    status = response.status
                    if status in _REDIRECTS and hdrs.LOCATION in response.headers:
                        target = current.join(URL(response.headers[hdrs.LOCATION]))
                        if (target.host, target.port) != (origin.host, origin.port):
                            raise FetchRefusedError(url, f"redirect to another host: {target.host}")
                        current = target
                        continue
                    return await self._object_from(response, url)
            except aiohttp.ClientConnectorError as error:
                raise _refusal(url, error) from None
            except TimeoutError:
                raise  # aiohttp's timeouts are ClientErrors too: report them as timeouts
            except aiohttp.ClientError as error:
                raise FetchUnreachableError(url, f"request failed: {error}") from None
        raise FetchHttpError(url, f"more than {MAX_REDIRECTS} redirects", status)

    async def _object_from(self, response: ClientResponse, url: str) -> dict[str, Any]:
        if response.status == 404:
            raise FetchNotFoundError(url, "not found (404)")
        if response.status == 410:
            raise FetchGoneError(url, "gone (410)")
        if response.status != 200:
            raise FetchHttpError(url, f"status {response.status}", response.status)
        content_type = response.headers.get(hdrs.CONTENT_TYPE, "")
        if not any(is_activitystreams(media) for media in parse_accept(content_type)):
            raise FetchBadContentError(
                url, f"content type {content_type[:80]!r} is not ActivityStreams"
            )
        body = await _read_capped(response, url, self.config.max_bytes)
        try:
            document = json.loads(body)
        except ValueError:
            raise FetchBadContentError(url, "body is not JSON") from None
        if not isinstance(document, dict):
            raise FetchBadContentError(url, "body is not a JSON object")
        return document

    async def post_activity(
        self, inbox_url: str, body: bytes, *, signer: RequestSigner | None = None
    ) -> DeliveryResponse:
        """POST an activity (already serialised) to an inbox; never follows redirects. Any
        status is returned for the delivery worker to classify.

        Raises FetchRefusedError, FetchTimeoutError or FetchUnreachableError."""
        self._check_scheme(URL(inbox_url))
        try:
            async with (
                asyncio.timeout(self.config.timeout),
                self.session.post(
                    inbox_url,
                    data=body,
                    headers={hdrs.CONTENT_TYPE: ACTIVITY_JSON},
                    allow_redirects=False,
                    middlewares=self._middlewares(signer),
                ) as response,
            ):
                # Drain a little so the connection can be reused; the content is not needed.
                await response.content.read(_CHUNK)
                return DeliveryResponse(
                    response.status, _retry_after(response.headers.get(hdrs.RETRY_AFTER))
                )
        except TimeoutError:
            raise FetchTimeoutError(
                inbox_url, f"no answer within {self.config.timeout:g} s"
            ) from None
        except aiohttp.ClientConnectorError as error:
            raise _refusal(inbox_url, error) from None
        except aiohttp.ClientError as error:
            raise FetchUnreachableError(inbox_url, f"request failed: {error}") from None

"""Asking another server who `user@domain` is: the WebFinger URL to query, the JRD it answers
parsed to the actor's ActivityStreams id, and the GET itself through the federation client
(same address guard, size and time limits as object fetches).

Mastodon, GoToSocial, Misskey, Pleroma and Lemmy all answer `/.well-known/webfinger` with a
`self` link typed `application/activity+json` (Pleroma/Akkoma sometimes only the ld+json
profile type); host-meta discovery is not needed for any of them."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import hdrs
from yarl import URL

from federation.address_guard import AddressRefusedError
from federation.http_client import (
    FederationClient,
    FetchBadContentError,
    FetchGoneError,
    FetchHttpError,
    FetchNotFoundError,
    FetchRefusedError,
    FetchTimeoutError,
    FetchTooLargeError,
    FetchUnreachableError,
)
from federation.media_types import is_activitystreams, parse_accept
from federation.origin import origin_of
from federation.webfinger import JRD_JSON, REL_SELF, AccountHandle, ResourceError, parse_resource

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536


class WebFingerError(ValueError):
    """The JRD names no usable ActivityStreams actor; the message is safe to log or show."""


def webfinger_url(username: str, domain: str, *, scheme: str = "https") -> str:
    """`{scheme}://{domain}/.well-known/webfinger?resource=acct:{username}@{domain}`, the
    resource percent-encoded (an `@` in the user part stays encoded, RFC 7565)."""
    resource = f"acct:{quote(username, safe='')}@{domain.lower()}"
    return (
        f"{scheme}://{domain.lower()}/.well-known/webfinger?resource={quote(resource, safe=':@')}"
    )


def _is_activitystreams_link(link: dict[str, Any]) -> bool:
    kind = link.get("type")
    if not isinstance(kind, str):
        return False
    return any(is_activitystreams(media) for media in parse_accept(kind))


def actor_link(jrd: Any) -> str:
    """The `href` of the JRD's `self` link with an ActivityStreams type: the actor's id (or a
    URL answering with it). Raises WebFingerError when there is none or it is not http(s)."""
    if not isinstance(jrd, dict):
        raise WebFingerError("the WebFinger answer is not a JSON object")
    links = jrd.get("links")
    if not isinstance(links, list):
        raise WebFingerError("the WebFinger answer has no links")
    for link in links:
        if (
            isinstance(link, dict)
            and link.get("rel") == REL_SELF
            and _is_activitystreams_link(link)
            and isinstance(link.get("href"), str)
        ):
            href: str = link["href"]
            if origin_of(href) is None:
                raise WebFingerError("the WebFinger self link is not an http(s) URL")
            return href
    raise WebFingerError("the WebFinger answer links no ActivityStreams actor")


def subject_handle(jrd: Any) -> AccountHandle | None:
    """The `acct:` subject of a JRD as a handle, or None when absent or not an acct: URI."""
    subject = jrd.get("subject") if isinstance(jrd, dict) else None
    if not isinstance(subject, str) or not subject.lower().startswith("acct:"):
        return None
    try:
        return parse_resource(subject)
    except ResourceError:
        return None


def _is_json(content_type: str) -> bool:
    media = [m.media_type for m in parse_accept(content_type)]
    return any(m in (JRD_JSON, "application/json") or m.endswith("+json") for m in media)


async def fetch_jrd(client: FederationClient, url: str) -> dict[str, Any]:
    """GET a WebFinger JRD through the client's session: redirects followed (at most 3, same
    host and port), JSON content, at most the client's `max_bytes`, within its `timeout`.

    Raises the client's FetchError subclasses, as `fetch_object` does."""
    try:
        async with asyncio.timeout(client.config.timeout):
            return await _fetch_jrd(client, url)
    except TimeoutError:
        raise FetchTimeoutError(url, f"no answer within {client.config.timeout:g} s") from None


async def _fetch_jrd(client: FederationClient, url: str) -> dict[str, Any]:
    origin = URL(url)
    current = origin
    allowed = {"https", "http"} if client.config.insecure_http else {"https"}
    for _ in range(MAX_REDIRECTS + 1):
        if current.scheme not in allowed:
            raise FetchRefusedError(url, f"{current.scheme}:// is not allowed")
        try:
            async with client.session.get(
                current,
                headers={hdrs.ACCEPT: f"{JRD_JSON}, application/json"},
                allow_redirects=False,
            ) as response:
                if response.status in _REDIRECTS and hdrs.LOCATION in response.headers:
                    target = current.join(URL(response.headers[hdrs.LOCATION]))
                    if (target.host, target.port) != (origin.host, origin.port):
                        raise FetchRefusedError(url, f"redirect to another host: {target.host}")
                    current = target
                    continue
                return await _jrd_from(response, url, client.config.max_bytes)
        except aiohttp.ClientConnectorError as error:
            if isinstance(error.os_error, AddressRefusedError):
                raise FetchRefusedError(url, str(error.os_error)) from None
            raise FetchUnreachableError(url, f"cannot reach {origin.host}: {error}") from None
        except TimeoutError:
            raise
        except aiohttp.ClientError as error:
            raise FetchUnreachableError(url, f"request failed: {error}") from None
    raise FetchHttpError(url, f"more than {MAX_REDIRECTS} redirects", 0)


async def _jrd_from(response: aiohttp.ClientResponse, url: str, max_bytes: int) -> dict[str, Any]:
    if response.status == 404:
        raise FetchNotFoundError(url, "not found (404)")
    if response.status == 410:
        raise FetchGoneError(url, "gone (410)")
    if response.status != 200:
        raise FetchHttpError(url, f"status {response.status}", response.status)
    content_type = response.headers.get(hdrs.CONTENT_TYPE, "")
    if not _is_json(content_type):
        raise FetchBadContentError(url, f"content type {content_type[:80]!r} is not JSON")
    if (response.content_length or 0) > max_bytes:
        raise FetchTooLargeError(url, f"body of {response.content_length} bytes is too large")
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FetchTooLargeError(url, f"body is larger than {max_bytes} bytes")
    try:
        document = json.loads(bytes(body))
    except ValueError:
        raise FetchBadContentError(url, "body is not JSON") from None
    if not isinstance(document, dict):
        raise FetchBadContentError(url, "body is not a JSON object")
    return document

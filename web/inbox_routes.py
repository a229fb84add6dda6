"""The inboxes other nodes deliver to: each member's (`POST /users/{name}/inbox`) and the
node's shared one (`POST /inbox`). Thin: read the body under a cap, hand the request to
`inbox.receive`, answer 202 or the refusal."""

from __future__ import annotations

from aiohttp import web

from inbox.receive import MAX_ACTIVITY_BYTES, InboundRequest, InboxRefusedError, receive
from web.errors import ApiError
from web.keys import config, connection, federation

_TOO_LARGE = "Request body is too large"


async def _body(request: web.Request) -> bytes:
    """The body, refused with 413 as soon as it passes the cap (before reading it all)."""
    if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
        raise ApiError(413, _TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_ACTIVITY_BYTES:
            raise ApiError(413, _TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


async def _deliver(request: web.Request, inbox_owner: str | None) -> web.Response:
    inbound = InboundRequest(
        method=request.method,
        raw_path=request.raw_path,
        headers=request.headers,
        body=await _body(request),
        scheme=request.scheme,
        authority=request.host,
    )
    try:
        await receive(
            connection(request),
            federation(request),
            inbound,
            federation_mode=config(request).federation_mode,
            inbox_owner=inbox_owner,
        )
    except InboxRefusedError as refused:
        raise ApiError(refused.status, str(refused)) from None
    return web.Response(status=202)


async def personal_inbox(request: web.Request) -> web.Response:
    return await _deliver(request, request.match_info["name"])


async def shared_inbox(request: web.Request) -> web.Response:
    return await _deliver(request, None)


def setup(app: web.Application) -> None:
    app.router.add_post("/users/{name}/inbox", personal_inbox)
    app.router.add_post("/inbox", shared_inbox)

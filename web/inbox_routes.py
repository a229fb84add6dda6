"""The inboxes other nodes deliver to: each member's (`POST /users/{name}/inbox`) and the
node's shared one (`POST /inbox`). Thin: read the body under a cap, hand the request to
`inbox.receive`, answer 202 or the refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from inbox.intake import InboxIntake
from inbox.receive import (
    MAX_ACTIVITY_BYTES,
    InboundRequest,
    InboxRefusedError,
    new_intake,
    receive,
)
from web.errors import ApiError
from web.keys import CONFIG, FEDERATION, POOL

INTAKE = web.AppKey("inbox_intake", InboxIntake)

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
        await receive(request.app[INTAKE], inbound, inbox_owner=inbox_owner)
    except InboxRefusedError as refused:
        raise ApiError(refused.status, str(refused)) from None
    return web.Response(status=202)


async def personal_inbox(request: web.Request) -> web.Response:
    return await _deliver(request, request.match_info["name"])


async def shared_inbox(request: web.Request) -> web.Response:
    return await _deliver(request, None)


# The inboxes take pooled connections only for what they write or look up (see
# `inbox.intake`); the database middleware leaves them alone.
WITHOUT_CONNECTION = frozenset({personal_inbox, shared_inbox})


async def intake(app: web.Application) -> AsyncIterator[None]:
    """The process's inbox intake; opened after the federation client, closed before it."""
    opened = new_intake(app[POOL], app[FEDERATION], federation_mode=app[CONFIG].federation_mode)
    app[INTAKE] = opened
    await opened.watch_policy()
    yield
    await opened.stop_watching()
    await opened.writer.close()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(intake)
    app.router.add_post("/users/{name}/inbox", personal_inbox)
    app.router.add_post("/inbox", shared_inbox)

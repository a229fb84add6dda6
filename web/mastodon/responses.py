"""JSON responses for the client API, encoded with orjson. masto.js throws unless every response,
errors included, is exactly `application/json`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

CONTENT_TYPE = "application/json"


def json_response(
    data: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type=CONTENT_TYPE,
        charset="utf-8",
        headers=headers,
    )

"""(being written)"""

from typing import Any

from aiohttp import web


def setup(app: web.Application) -> None:
    pass


async def template_context(request: web.Request) -> dict[str, Any]:
    return {}

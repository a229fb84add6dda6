"""Discovery: WebFinger, host-meta and NodeInfo, the documents other servers and apps read
before anything else. Public by nature, and open to browsers' scripts (CORS)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from actors.accounts import INSTANCE_ACTOR
from actors.directory import find_local_actor
from actors.node_policy import load_policy
from actors.statistics import node_usage
from federation.media_types import prefers
from federation.nodeinfo import (
    VERSIONS,
    NodeInfoVersion,
    Software,
    content_type,
    discovery_document,
    document_path,
    nodeinfo_document,
)
from federation.webfinger import (
    JRD_JSON,
    XRD_XML,
    ResourceError,
    actor_jrd,
    host_meta_json,
    host_meta_xrd,
    parse_resource,
    webfinger_template,
)
from web.errors import Handler
from web.keys import config, connection

SOFTWARE_NAME = "rukun"
CORS = {"Access-Control-Allow-Origin": "*"}


def _json(document: Any, media_type: str, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(document).encode(),
        status=status,
        headers={"Content-Type": media_type, **CORS},
    )


def _webfinger_error(status: int, message: str) -> web.Response:
    return _json({"error": message}, "application/json; charset=utf-8", status)


async def webfinger(request: web.Request) -> web.Response:
    site = config(request).site
    resource = request.query.get("resource", "")
    if not resource.strip():
        return _webfinger_error(400, "The resource parameter is required")
    try:
        handle = parse_resource(resource)
    except ResourceError as error:
        return _webfinger_error(400, str(error))
    account = await find_local_actor(connection(request), handle, site.domain)
    if account is None:
        return _webfinger_error(404, "Record not found")
    username = site.domain if account.username == INSTANCE_ACTOR else account.username
    jrd = actor_jrd(
        username=username,
        domain=site.domain,
        actor_url=site.actor_url(account.username),
        profile_url=site.profile_url(account.username),
        subscribe_template=f"{site.base_url}/authorize_interaction?uri={{uri}}",
    )
    return _json(jrd, f"{JRD_JSON}; charset=utf-8")


def _wants_json_host_meta(request: web.Request) -> bool:
    if request.path.endswith(".json") or request.query.get("format") == "json":
        return True
    accept = request.headers.get("Accept")
    return prefers(accept, "application/json", over=XRD_XML) or prefers(
        accept, JRD_JSON, over=XRD_XML
    )


async def host_meta(request: web.Request) -> web.Response:
    template = webfinger_template(config(request).site.base_url)
    if _wants_json_host_meta(request):
        return _json(host_meta_json(template), "application/json; charset=utf-8")
    return web.Response(
        text=host_meta_xrd(template), headers={"Content-Type": f"{XRD_XML}; charset=utf-8", **CORS}
    )


async def nodeinfo_discovery(request: web.Request) -> web.Response:
    document = discovery_document(config(request).site.base_url)
    return _json(document, "application/json; charset=utf-8")


async def shows_usage_counts(request: web.Request) -> bool:
    """Member and post counts are published only when neither the operator's setting
    (`show_usage_counts`, fixed at start) nor the admins' policy (`hide_usage_counts`, changed
    at run time) hides them: either one is enough to hide. NodeInfo and the instance documents
    both ask here."""
    if not config(request).show_usage_counts:
        return False
    return not (await load_policy(connection(request))).hide_usage_counts


def _nodeinfo(version: NodeInfoVersion) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        settings = config(request)
        shown = await shows_usage_counts(request)
        usage = await node_usage(connection(request)) if shown else None
        document = nodeinfo_document(
            version,
            software=Software(SOFTWARE_NAME, settings.software_version),
            node_name=settings.site.domain,
            usage=usage,
        )
        return _json(document, content_type(version))

    return handler


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/host-meta", host_meta)
    app.router.add_get("/.well-known/host-meta.json", host_meta)
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_discovery)
    for version in VERSIONS:
        app.router.add_get(document_path(version), _nodeinfo(version))

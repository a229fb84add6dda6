"""Typed application and request state."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from actors.credentials import WebSession
from federation.http_client import FederationClient
from web.config import WebConfig

CONFIG = web.AppKey("config", WebConfig)
POOL = web.AppKey("pool", asyncpg.Pool)
FEDERATION = web.AppKey("federation", FederationClient)
CONNECTION = web.RequestKey("connection", asyncpg.Connection)
# The browser session, or None once looked up and absent (web.auth.current_session).
SESSION: web.RequestKey[WebSession | None] = web.RequestKey("session")
SESSION_COOKIE = "rukun_session"


def config(request: web.Request) -> WebConfig:
    return request.app[CONFIG]


def connection(request: web.Request) -> asyncpg.Connection:
    """The one connection this request holds (acquired by the database middleware)."""
    conn: asyncpg.Connection = request[CONNECTION]
    return conn


def federation(request: web.Request) -> FederationClient:
    """The process's signed HTTP client for other nodes."""
    return request.app[FEDERATION]

"""The admin dashboard's figures: who is here, how much they post, how federation and the
job queue are doing, and what waits for a moderator — each one cheap query."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.accounts import ROLES
from actors.statistics import count_local_posts
from db.queue import counts as job_counts
from outbox.delivery_records import delivery_counts, failing_count


@dataclass(frozen=True, slots=True)
class Figures:
    members_by_role: dict[str, int]
    local_posts: int
    partners_allowed: int
    domains_blocked: int
    jobs: dict[str, int]
    deliveries: dict[str, int]
    failing_deliveries: int
    pending_sign_ups: int
    open_reports: int
    media_bytes: int


async def dashboard_figures(conn: asyncpg.Connection) -> Figures:
    roles = {
        row["role"]: row["n"]
        for row in await conn.fetch(
            """SELECT role, count(*) AS n FROM users
               WHERE approved AND disabled_at IS NULL GROUP BY role"""
        )
    }
    domains = {
        row["policy"]: row["n"]
        for row in await conn.fetch(
            "SELECT policy, count(*) AS n FROM federation_domains GROUP BY policy"
        )
    }
    return Figures(
        members_by_role={role: roles.get(role, 0) for role in ROLES},
        local_posts=await count_local_posts(conn),
        partners_allowed=domains.get("allow", 0),
        domains_blocked=domains.get("block", 0),
        jobs=await job_counts(conn),
        deliveries=await delivery_counts(conn),
        failing_deliveries=await failing_count(conn),
        pending_sign_ups=await conn.fetchval("SELECT count(*) FROM users WHERE NOT approved"),
        open_reports=await conn.fetchval("SELECT count(*) FROM reports WHERE resolved_at IS NULL"),
        # Files stored here: local uploads (remote media is only referenced by URL).
        media_bytes=await conn.fetchval(
            """SELECT coalesce(sum(file_size), 0) FROM media_attachments
               WHERE file_key IS NOT NULL"""
        ),
    )

"""Running a member's import (the `import.run` job): each row of a Mastodon CSV becomes the
command a member would have given by hand, and an archive of posts becomes their own history.

As Mastodon's BulkImportService: `overwrite` first undoes what the file does not name
(unfollow, unblock, unmute, unblock a domain, drop a bookmark), then every row is applied;
`merge` only adds. Remote accounts are found by WebFinger under the node's federation policy,
and follows go through `do_follow`, so the other node receives its `Follow`. A row that cannot
be applied is counted as failed with a message naming its line; the others go on."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from actors.accounts import Account, get_local_account
from actors.domain_blocks import block_domain, is_domain, unblock_domains_except
from actors.imports import (
    RUN_JOB,
    Import,
    claim_import,
    finish_import,
    handle_key,
    import_archive,
    import_rows,
    record_item,
    related_accounts,
)
from actors.profiles import load_accounts
from actors.relationships import NotAllowed
from actors.remote import (
    RemoteActorError,
    RemoteActorGoneError,
    RemoteActorRefusedError,
    RemoteActorUnavailableError,
    resolve_handle,
)
from actors.site import Site
from content.access import Viewer, load_viewer, may_see_account
from content.archive_import import import_archive_posts
from content.bookmark_imports import find_bookmarkable, remove_bookmarks_except
from content.bookmarks import do_bookmark
from db.queue import Handler, Job
from federation.http_client import FederationClient
from outbox.relationships import do_block, do_follow, do_mute, do_unblock, do_unfollow, do_unmute

_USERNAME = re.compile(r"^[A-Za-z0-9_]+([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")

Apply = Callable[[], Awaitable[None]]


class RowError(Exception):
    """The row cannot be applied; the message, prefixed with its line, is shown to the member."""


@dataclass(frozen=True, slots=True)
class _Run:
    """One import being run: the member, and how to reach other nodes."""

    conn: asyncpg.Connection
    site: Site
    client: FederationClient
    federation_mode: str
    member: Account
    viewer: Viewer

    def split(self, acct: str) -> tuple[str, str | None]:
        username, _, domain = acct.partition("@")
        domain = domain.lower()
        if not _USERNAME.match(username) or (domain and not is_domain(domain)):
            raise RowError(f"{acct!r} is not an account address")
        return username, None if domain in ("", self.site.domain.lower()) else domain

    async def account(self, acct: str) -> Account:
        """The account an address names: ours by name, another node's by WebFinger."""
        username, domain = self.split(acct)
        found: Account | None
        if domain is None:
            found = await get_local_account(self.conn, username)
            if found is None or found.actor_type == "Application":
                raise RowError(f"there is no account {username} on this node")
        else:
            try:
                found = await resolve_handle(
                    self.conn,
                    self.client,
                    username,
                    domain,
                    federation_mode=self.federation_mode,
                )
            except RemoteActorRefusedError:
                raise RowError(
                    f"{domain} is not allowed by this node's federation policy"
                ) from None
            except RemoteActorGoneError:
                raise RowError(f"there is no account {username}@{domain}") from None
            except RemoteActorUnavailableError as error:
                raise RowError(
                    f"{domain} could not be reached ({error}); try again later"
                ) from None
            except RemoteActorError as error:
                raise RowError(f"{acct} could not be resolved: {error}") from None
        if found.suspended_at is not None or not await may_see_account(
            self.conn, self.viewer, found.id
        ):
            raise RowError(f"there is no account {acct}")
        return found

    async def prepare(self, kind: str, row: dict[str, Any]) -> Apply:
        """Resolve what the row names (network I/O, outside any transaction) and return the
        command that applies it."""
        conn, site, member = self.conn, self.site, self.member
        if kind == "domain_blocking":
            domain = row["domain"]
            if not is_domain(domain):
                raise RowError(f"{domain!r} is not a domain")
            if domain == site.domain.lower():
                raise RowError("this node's own domain cannot be blocked")

            async def block() -> None:
                await block_domain(conn, member.id, domain)

            return block
        if kind == "bookmarks":
            status = await find_bookmarkable(conn, site, self.viewer, row["uri"])
            if status is None:
                raise RowError(f"{row['uri'][:200]} is not a post known on this node")
            status_id = status.id

            async def bookmark() -> None:
                await do_bookmark(conn, member.id, status_id)

            return bookmark
        target = await self.account(row["acct"])
        if kind == "following":

            async def follow() -> None:
                await do_follow(
                    conn,
                    site,
                    member,
                    target,
                    reblogs=row.get("show_reblogs"),
                    notify_posts=row.get("notify"),
                    languages=row.get("languages"),
                )

            return follow
        if kind == "blocking":
            return lambda: do_block(conn, site, member, target)
        hide = row.get("hide_notifications")
        return lambda: do_mute(conn, member, target, notifications=hide is not False)

    async def overwrite(self, kind: str, rows: list[dict[str, Any]]) -> None:
        """Undo what the file does not name."""
        conn, member = self.conn, self.member
        if kind == "domain_blocking":
            await unblock_domains_except(conn, member.id, [row["domain"] for row in rows])
            return
        if kind == "bookmarks":
            await remove_bookmarks_except(conn, self.site, member.id, {r["uri"] for r in rows})
            return
        named = set()
        for row in rows:
            username, _, domain = row["acct"].partition("@")
            local = domain.lower() in ("", self.site.domain.lower())
            named.add(handle_key(username, None if local else domain))
        for target in await related_accounts(conn, member.id, kind):
            if handle_key(target.username, target.domain) in named:
                continue
            if kind == "following":
                await do_unfollow(conn, self.site, member, target)
            elif kind == "blocking":
                await do_unblock(conn, self.site, member, target)
            else:
                await do_unmute(conn, member, target)


async def _run_rows(run: _Run, job: Import) -> None:
    rows = await import_rows(run.conn, job.id)
    if job.mode == "overwrite" and job.processed_items == 0:
        await run.overwrite(job.type, rows)
    for row in rows[job.processed_items :]:
        error: str | None = None
        apply: Apply | None = None
        try:
            apply = await run.prepare(job.type, row)
        except RowError as failure:
            error = f"line {row['line']}: {failure}"
        async with run.conn.transaction():
            if apply is not None:
                try:
                    await apply()
                except NotAllowed:
                    error = (
                        f"line {row['line']}: {row.get('acct')} cannot be followed, blocked or "
                        "muted by you (yourself, a moved account, or a block between you)"
                    )
            await record_item(run.conn, job.id, error=error)


def import_job_handlers(
    site: Site, client: FederationClient, media_root: Path, *, federation_mode: str
) -> dict[str, Handler]:
    """The `import.run` job: run one import to its end (resuming where a crash stopped it)."""

    async def run_import(conn: asyncpg.Connection, job: Job) -> None:
        claimed = await claim_import(conn, int(job.payload["import_id"]))
        if claimed is None:
            return
        if claimed.type == "posts":
            archive = await import_archive(conn, claimed.id)
            if archive is not None:
                await import_archive_posts(conn, media_root, claimed, archive)
        else:
            views = await load_accounts(conn, [claimed.account_id])
            member = views[claimed.account_id].account
            viewer = await load_viewer(conn, member.id)
            run = _Run(conn, site, client, federation_mode, member, viewer)
            await _run_rows(run, claimed)
        await finish_import(conn, claimed.id)

    return {RUN_JOB: run_import}

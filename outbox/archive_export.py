"""Build a member's archive as a background job (`export.build`): the zip is written straight
to the data directory, one post at a time, never held in memory, and the `exports` row shows
how far it has come.

What leaves with the member: their profile, their posts (direct messages they sent included),
media of those posts, avatar and header, likes, bookmarks, and their network as Mastodon's CSV
files. What stays: internal posts and members-only group content (`content.archive_content.
internal_to_node`), unless the node's policy lets them go too."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import asyncpg

from actors.accounts import Account, get_member_by_account_id
from actors.directory import get_account_link
from actors.domain_blocks import blocked_domains
from actors.exports import (
    BUILD_JOB,
    Export,
    exports_directory,
    get_export,
    mark_done,
    mark_failed,
    mark_running,
    record_progress,
)
from actors.integrity_keys import IntegrityKey, integrity_key
from actors.relationship_exports import (
    FOLLOWING_HEADER,
    MUTED_HEADER,
    blocked_addresses,
    follower_addresses,
    following_rows,
    muted_rows,
)
from actors.site import Site
from content.archive_content import (
    bookmarked_statuses,
    count_own_statuses,
    exported,
    favourited_statuses,
    own_statuses,
)
from content.media import SYSTEM_PREFIX, stored_path
from content.status_parts import status_parts
from db.queue import Handler, Job
from outbox.actor_document import actor_document
from outbox.archive_documents import (
    archive_actor,
    id_collection,
    kept_status_id,
    media_path,
    signed_create,
)
from outbox.as2.context import ACTIVITY_CONTEXT

log = logging.getLogger(__name__)
PROGRESS_EVERY = 25
_MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False)


def _csv(rows: Iterable[Iterable[str]], header: Iterable[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


class _Archive:
    """The zip being written. Blocking writes are small; media files are copied in a thread."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.names: set[str] = set()

    def text(self, name: str, text: str) -> None:
        self.zip.writestr(name, text)

    async def file(self, name: str, source: Path) -> None:
        if name in self.names:
            return
        self.names.add(name)
        await asyncio.to_thread(self.zip.write, source, name)

    def stream(self, name: str) -> IO[bytes]:
        return self.zip.open(name, "w", force_zip64=True)

    def close(self) -> None:
        self.zip.close()


def _profile_image(media_root: Path, path: str | None) -> tuple[Path, str] | None:
    if not path or not path.startswith(SYSTEM_PREFIX):
        return None
    key = path.removeprefix(SYSTEM_PREFIX)
    source = stored_path(media_root, key)
    if source is None:
        return None
    return source, key.rsplit(".", 1)[1]


@dataclass(frozen=True, slots=True)
class _Build:
    conn: asyncpg.Connection
    archive: _Archive
    site: Site
    media_root: Path
    account: Account
    key: IntegrityKey
    export: Export


async def _write_actor(build: _Build) -> None:
    conn, archive, account = build.conn, build.archive, build.account
    manager = await get_account_link(conn, account.manager_id) if account.manager_id else None
    images: dict[str, tuple[str, str] | None] = {"avatar": None, "header": None}
    for kind, path in (("avatar", account.avatar_url), ("header", account.header_url)):
        found = _profile_image(build.media_root, path)
        if found is not None:
            name = f"{kind}.{found[1]}"
            await archive.file(name, found[0])
            images[kind] = (name, _MEDIA_TYPES[found[1]])
    key = build.key.public_key_multibase
    actor = actor_document(account, build.site, manager=manager, integrity_key=key)
    document = archive_actor(actor, avatar=images["avatar"], header=images["header"])
    archive.text("actor.json", _dumps(document))


async def _write_outbox(build: _Build) -> int:
    """Stream `outbox.json`; returns how many posts it holds."""
    conn, archive, export = build.conn, build.archive, build.export
    head = {"@context": ACTIVITY_CONTEXT, "id": "outbox.json", "type": "OrderedCollection"}
    written = seen = 0
    media: list[str] = []  # keys only: a zip takes no other file while one is being written
    with archive.stream("outbox.json") as out:
        out.write(_dumps(head)[:-1].encode() + b', "orderedItems": [\n')
        async for status in own_statuses(conn, build.account.id):
            seen += 1
            if exported(status, includes_internal=export.includes_internal):
                parts = await status_parts(conn, status.id)
                media.extend(row["file_key"] for row in parts.media if row["file_key"])
                username = build.account.username
                item = signed_create(build.site, status, username, parts, build.key)
                out.write((",\n" if written else "").encode() + _dumps(item).encode())
                written += 1
            if seen % PROGRESS_EVERY == 0:
                await record_progress(conn, export.id, seen)
        out.write(f'\n], "totalItems": {written}}}\n'.encode())
    for key in media:
        source = stored_path(build.media_root, key)
        if source is not None:
            await archive.file(media_path(key), source)
    return written


async def _write_network(build: _Build) -> None:
    conn, archive, site, account_id = build.conn, build.archive, build.site, build.account.id
    internal = build.export.includes_internal
    likes = await favourited_statuses(conn, account_id, includes_internal=internal)
    bookmarks = await bookmarked_statuses(conn, account_id, includes_internal=internal)
    for name, kept in (("likes.json", likes), ("bookmarks.json", bookmarks)):
        ids = [i for i in (kept_status_id(site, k) for k in kept) if i is not None]
        archive.text(name, _dumps(id_collection(name, ids)))
    domain = site.domain
    following = await following_rows(conn, account_id, domain)
    archive.text("following_accounts.csv", _csv(following, FOLLOWING_HEADER))
    # Mastodon exports no followers file; ours is a plain list, like its blocks file.
    followers = await follower_addresses(conn, account_id, domain)
    archive.text("followers.csv", _csv([a] for a in followers))
    blocked = await blocked_addresses(conn, account_id, domain)
    archive.text("blocked_accounts.csv", _csv([a] for a in blocked))
    muted = await muted_rows(conn, account_id, domain)
    archive.text("muted_accounts.csv", _csv(muted, MUTED_HEADER))
    # A plain list of domains, as Mastodon writes it (and its importer reads).
    domains = await blocked_domains(conn, account_id)
    archive.text("blocked_domains.csv", _csv([d] for d in domains))
    # Lists do not exist here yet: the file is there, empty.
    archive.text("lists.csv", "")


async def build_export(
    conn: asyncpg.Connection, site: Site, media_root: Path, export_id: int
) -> Path | None:
    """Write the export's zip and mark it done; None when the export or member is gone.
    Written under a temporary name and renamed, so a half-written archive is never served."""
    export = await get_export(conn, export_id)
    if export is None or export.state in ("done", "failed"):
        return None
    member = await get_member_by_account_id(conn, export.account_id)
    if member is None:
        await mark_failed(conn, export_id, "the account no longer exists")
        return None
    account = member.account
    await mark_running(conn, export_id, await count_own_statuses(conn, account.id) + 1)
    key = await integrity_key(conn, account.id)
    directory = exports_directory(media_root)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"archive-{account.username}-{export_id}.zip"
    partial = directory / f".{name}.partial"
    archive = _Archive(partial)
    build = _Build(conn, archive, site, media_root, account, key, export)
    try:
        await _write_actor(build)
        await _write_outbox(build)
        await _write_network(build)
    finally:
        archive.close()
    final = directory / name
    os.replace(partial, final)
    await mark_done(conn, export_id, name, final.stat().st_size)
    return final


def export_job_handlers(site: Site, media_root: Path) -> dict[str, Handler]:
    async def build(conn: asyncpg.Connection, job: Job) -> None:
        export_id = int(job.payload["export_id"])
        try:
            await build_export(conn, site, media_root, export_id)
        except Exception as error:
            if job.attempts >= job.max_attempts:
                # The member may start another: a dead job must not hold the one slot.
                await mark_failed(conn, export_id, f"{type(error).__name__}: {error}")
            raise

    return {BUILD_JOB: build}

"""Media attachments and profile pictures: files under `media_root`, rows in
`media_attachments`, and the commands that create, process, change and delete them.

Files live under unguessable keys (`media/3f/a0/<32 random url-safe characters>.jpg`), served at
`/system/<key>` without a token, as Mastodon serves its media: whoever was shown a status may
pass its picture on anyway, and apps load images without credentials. An upload waits, as sent,
under `incoming/` (never served) until the `media.process` job replaces it with a re-encoded
original and a preview. Web and worker processes must share `media_root` (or, later, an
S3-compatible store behind the same functions)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from content.images import (
    PROFILE_SIZES,
    MediaError,
    ProcessedImage,
    check_image,
    process_image,
    profile_image,
)
from content.status_views import MEDIA_COLUMNS
from db.queue import enqueue
from db.retention import BATCH, count_matching, delete_batch

log = logging.getLogger(__name__)

PROCESS_JOB = "media.process"
MAX_UPLOAD_BYTES = 16 * 1024 * 1024
MAX_PROFILE_IMAGE_BYTES = 8 * 1024 * 1024
MAX_DESCRIPTION = 1500
SYSTEM_PREFIX = "/system/"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_SERVED_KEY = re.compile(
    r"^(?:media|avatars|headers)/[0-9a-f]{2}/[0-9a-f]{2}/[A-Za-z0-9_-]{32}\.(?:jpg|png|webp)$"
)
_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+))"
_FOCUS = re.compile(rf"^\s*{_NUMBER}\s*,\s*{_NUMBER}\s*$")


# --- keys and files -----------------------------------------------------------------------


def new_key(area: str, extension: str) -> str:
    """A fresh key: two random directory levels (so no directory grows huge) and 192 random
    bits as the name."""
    return (
        f"{area}/{secrets.token_hex(1)}/{secrets.token_hex(1)}/"
        f"{secrets.token_urlsafe(24)}.{extension}"
    )


def is_served_key(key: str) -> bool:
    """Only keys this module minted for finished files; never `incoming/`, never `..`."""
    return _SERVED_KEY.fullmatch(key) is not None


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[1]]


def stored_path(root: Path, key: str) -> Path | None:
    """The file behind a served key, or None when there is none (or it would leave root)."""
    if not is_served_key(key):
        return None
    base = root.resolve()
    path = (base / key).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        return None
    return path


def _write(root: Path, key: str, data: bytes) -> None:
    """Write atomically: a reader sees the whole file or none."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _remove(root: Path, keys: list[str | None]) -> None:
    for key in keys:
        if key:
            with contextlib.suppress(FileNotFoundError):
                (root / key).unlink()


async def _remove_files(root: Path, keys: list[str | None]) -> None:
    await asyncio.to_thread(_remove, root, keys)


async def _store(root: Path, processed: ProcessedImage) -> tuple[str, str]:
    original = new_key("media", processed.extension)
    preview = new_key("media", processed.extension)
    await asyncio.to_thread(_write, root, original, processed.original.data)
    try:
        await asyncio.to_thread(_write, root, preview, processed.preview.data)
    except BaseException:
        await _remove_files(root, [original])
        raise
    return original, preview


# --- checks -------------------------------------------------------------------------------


def parse_focus(text: str) -> tuple[float, float]:
    """Mastodon's focal point, `"x,y"` with each in [-1, 1] (0,0 is the centre)."""
    match = _FOCUS.match(text)
    if match is None:
        raise MediaError("Validation failed: Focus must be two numbers, as x,y")
    x, y = float(match[1]), float(match[2])
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise MediaError("Validation failed: Focus must be between -1.0 and 1.0")
    return x, y


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise MediaError(
            f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} characters)"
        )
    return description


def _check_size(data: bytes, limit: int, what: str) -> None:
    if not data:
        raise MediaError(f"Validation failed: {what} can't be blank")
    if len(data) > limit:
        raise MediaError(
            f"Validation failed: {what} file size must be less than {limit // 1024 // 1024} MB"
        )


# --- commands -----------------------------------------------------------------------------

_RETURNING = f"RETURNING {MEDIA_COLUMNS}"


async def do_upload_media(
    conn: asyncpg.Connection,
    root: Path,
    account_id: int,
    data: bytes,
    *,
    description: str = "",
    focus: tuple[float, float] = (0.0, 0.0),
    process_now: bool = False,
) -> dict[str, Any]:
    """Take an upload. With `process_now` (API v1) it is processed before this returns;
    otherwise (v2) the original waits under `incoming/` and a `media.process` job, enqueued in
    the same transaction as the row, finishes it. Raises MediaError for what is not an image."""
    _check_size(data, MAX_UPLOAD_BYTES, "File")
    check_description(description)
    if process_now:
        processed = await asyncio.to_thread(process_image, data)
        original, preview = await _store(root, processed)
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO media_attachments (account_id, type, state, file_key, preview_key,
                        content_type, file_size, meta, description, focus_x, focus_y, blurhash)
                    VALUES ($1, 'image', 'ready', $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    {_RETURNING}""",
                account_id,
                original,
                preview,
                processed.content_type,
                len(processed.original.data),
                processed.meta(),
                description,
                focus[0],
                focus[1],
                processed.blurhash,
            )
        except BaseException:
            await _remove_files(root, [original, preview])
            raise
        return dict(row)

    checked = await asyncio.to_thread(check_image, data)
    incoming = f"incoming/{secrets.token_urlsafe(24)}"
    await asyncio.to_thread(_write, root, incoming, data)
    try:
        async with conn.transaction():
            row = await conn.fetchrow(
                f"""INSERT INTO media_attachments (account_id, type, state, file_key,
                        content_type, file_size, description, focus_x, focus_y)
                    VALUES ($1, 'image', 'processing', $2, $3, $4, $5, $6, $7)
                    {_RETURNING}""",
                account_id,
                incoming,
                checked.content_type,
                len(data),
                description,
                focus[0],
                focus[1],
            )
            await enqueue(conn, PROCESS_JOB, {"media_id": row["id"]})
    except BaseException:
        await _remove_files(root, [incoming])
        raise
    return dict(row)


async def process_media(conn: asyncpg.Connection, root: Path, media_id: int) -> str:
    """Finish an upload: re-encode, preview, BlurHash; the row becomes `ready`, or `failed` when
    the file cannot be processed. Idempotent (the queue runs a job at least once): a second run
    finds the row no longer `processing` and leaves it. Returns the row's state."""
    row = await conn.fetchrow(
        "SELECT state, file_key FROM media_attachments WHERE id = $1", media_id
    )
    if row is None or row["state"] != "processing":
        return "gone" if row is None else row["state"]
    incoming: str = row["file_key"]
    try:
        data = await asyncio.to_thread((root / incoming).read_bytes)
        processed = await asyncio.to_thread(process_image, data)
    except (FileNotFoundError, MediaError) as error:
        log.warning("media %s could not be processed: %s", media_id, error)
        await conn.execute(
            """UPDATE media_attachments SET state = 'failed', file_key = NULL
               WHERE id = $1 AND state = 'processing'""",
            media_id,
        )
        await _remove_files(root, [incoming])
        return "failed"
    original, preview = await _store(root, processed)
    status = await conn.execute(
        """UPDATE media_attachments
           SET state = 'ready', file_key = $2, preview_key = $3, content_type = $4,
               file_size = $5, meta = $6, blurhash = $7
           WHERE id = $1 AND state = 'processing'""",
        media_id,
        original,
        preview,
        processed.content_type,
        len(processed.original.data),
        processed.meta(),
        processed.blurhash,
    )
    if status != "UPDATE 1":
        # Deleted meanwhile, or another worker finished first: these files belong to nothing.
        await _remove_files(root, [original, preview])
        return "gone"
    await _remove_files(root, [incoming])
    return "ready"


async def get_unattached_media(
    conn: asyncpg.Connection, account_id: int, media_id: int
) -> dict[str, Any] | None:
    """The account's own media not yet in a status; anything else is "not found", as Mastodon
    answers."""
    row = await conn.fetchrow(
        f"""SELECT {MEDIA_COLUMNS} FROM media_attachments
            WHERE id = $1 AND account_id = $2 AND status_id IS NULL""",
        media_id,
        account_id,
    )
    return dict(row) if row else None


async def do_update_media(
    conn: asyncpg.Connection,
    account_id: int,
    media_id: int,
    *,
    description: str | None = None,
    focus: tuple[float, float] | None = None,
) -> dict[str, Any] | None:
    """Change the description or focal point of one's own unattached media; None when there is
    no such media."""
    if description is not None:
        check_description(description)
    row = await conn.fetchrow(
        f"""UPDATE media_attachments
            SET description = coalesce($3, description),
                focus_x = coalesce($4, focus_x), focus_y = coalesce($5, focus_y)
            WHERE id = $1 AND account_id = $2 AND status_id IS NULL
            {_RETURNING}""",
        media_id,
        account_id,
        description,
        focus[0] if focus else None,
        focus[1] if focus else None,
    )
    return dict(row) if row else None


async def do_delete_media(
    conn: asyncpg.Connection, root: Path, account_id: int, media_id: int
) -> bool:
    """Delete one's own unattached media and its files; False when there is no such media."""
    row = await conn.fetchrow(
        """DELETE FROM media_attachments
           WHERE id = $1 AND account_id = $2 AND status_id IS NULL
           RETURNING file_key, preview_key""",
        media_id,
        account_id,
    )
    if row is None:
        return False
    await _remove_files(root, [row["file_key"], row["preview_key"]])
    return True


_UNATTACHED = "status_id IS NULL AND created_at < now() - make_interval(days => $1)"


async def prune_unattached_media(
    conn: asyncpg.Connection,
    root: Path,
    older_than_days: float,
    *,
    limit: int = BATCH,
    dry_run: bool = False,
) -> int:
    """Remove up to `limit` uploads never put in a status (an app that uploaded and gave up),
    with their files. The files go once their rows are deleted, before the caller commits: a
    failed commit leaves a row without a file, never a file no row names. (Remote media is not
    cached here, so there is nothing remote to prune.)"""
    if dry_run:
        return await count_matching(conn, "media_attachments", _UNATTACHED, older_than_days)
    rows = await delete_batch(
        conn,
        "media_attachments",
        "id",
        _UNATTACHED,
        older_than_days,
        limit=limit,
        returning="file_key, preview_key",
    )
    await _remove_files(
        root, [key for row in rows for key in (row["file_key"], row["preview_key"])]
    )
    return len(rows)


async def save_profile_image(root: Path, data: bytes, kind: str) -> str:
    """Store an avatar (400x400) or header (1500x500) cropped from the upload, without
    metadata; returns its path on this node (`/system/avatars/…`). Raises MediaError."""
    if kind not in PROFILE_SIZES:
        raise ValueError(f"unknown profile image kind {kind!r}")
    _check_size(data, MAX_PROFILE_IMAGE_BYTES, kind.capitalize())
    encoded, extension = await asyncio.to_thread(profile_image, data, kind)
    key = new_key(f"{kind}s", extension)
    await asyncio.to_thread(_write, root, key, encoded)
    return SYSTEM_PREFIX + key


async def remove_profile_image(root: Path, path: str | None) -> None:
    """Delete a replaced avatar or header stored here; other paths are left alone."""
    if path and path.startswith(SYSTEM_PREFIX):
        key = path.removeprefix(SYSTEM_PREFIX)
        if is_served_key(key) and not key.startswith("media/"):
            await _remove_files(root, [key])

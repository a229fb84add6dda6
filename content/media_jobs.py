"""The `media.process` job: finish an upload accepted by `POST /api/v2/media`."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from content.media import PROCESS_JOB, process_media
from db.queue import Handler, Job


def media_job_handlers(media_root: Path) -> dict[str, Handler]:
    """Handlers by job kind, bound to where this node keeps its files."""

    async def process(conn: asyncpg.Connection, job: Job) -> None:
        # A file that cannot be processed marks the row `failed` and ends the job; only an
        # error of our own (the disk, the database) raises, so the queue retries it.
        await process_media(conn, media_root, int(job.payload["media_id"]))

    return {PROCESS_JOB: process}

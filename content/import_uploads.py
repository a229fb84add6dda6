"""Accepting an import: the whole file is checked first, and only a file of the right shape
is stored and queued. A refused file changes nothing."""

from __future__ import annotations

import asyncio

import asyncpg

from actors.import_files import CSV_TYPES, ImportFileError, parse_csv
from actors.imports import MODES, Import, do_start_import
from content.archives import ArchiveError, open_archive

IMPORT_TYPES = (*CSV_TYPES, "posts")
LISTS_UNSUPPORTED = "lists are not supported yet"


async def do_accept_import(
    conn: asyncpg.Connection,
    account_id: int,
    kind: str,
    data: bytes,
    *,
    mode: str = "merge",
    filename: str = "",
) -> Import:
    """Check the file for `kind` and queue its import. Raises ImportFileError with every
    problem found (per line for a CSV); nothing is stored then."""
    if kind not in IMPORT_TYPES:
        raise ImportFileError([f"type must be one of {', '.join(IMPORT_TYPES)}"])
    if mode not in MODES:
        raise ImportFileError(["mode must be merge or overwrite"])
    if kind == "lists":
        raise ImportFileError([LISTS_UNSUPPORTED])
    if not data:
        raise ImportFileError(["the file is empty"])
    if kind == "posts":
        if mode == "overwrite":
            raise ImportFileError(["an archive of posts can only be merged"])
        try:
            archive = await asyncio.to_thread(open_archive, data)
        except ArchiveError as error:
            raise ImportFileError([str(error)]) from None
        return await do_start_import(
            conn,
            account_id,
            kind,
            mode,
            filename=filename,
            archive=data,
            total=len(archive.items),
        )
    rows = await asyncio.to_thread(parse_csv, kind, data)
    return await do_start_import(
        conn, account_id, kind, mode, filename=filename, rows=rows, total=len(rows)
    )

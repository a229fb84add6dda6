"""`rukun export …`: check an archive's integrity proofs offline (no database, no network),
and make the time-limited download link of a finished export (for offboarding)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from actors.exports import create_download_link, get_export
from actors.invitations import parse_duration
from actors.site import Site
from db.migrate import migrate
from db.pool import connection
from federation.archive_proofs import verify_archive
from node.database import database_url
from node.settings import Settings


class VerificationFailed(ValueError):
    """Some posts of the archive did not verify (the counts are printed first)."""


def add_export(commands: Any, add_common: Any) -> None:
    export = commands.add_parser("export", help="members' archives")
    actions = export.add_subparsers(dest="export_command", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="check every post's proof in an archive")
    add_common(verify)
    verify.add_argument("file", metavar="FILE.zip", type=Path)
    link = actions.add_parser("link", help="print a time-limited download link of an export")
    add_common(link)
    link.add_argument("export_id", metavar="ID", type=int)
    link.add_argument("--valid-for", default="7d", help="30m, 12h, 7d … (default 7d)")


def verify(path: Path, out: TextIO) -> None:
    result = verify_archive(path)
    out.write(f"valid: {result.valid}\ninvalid: {result.invalid}\n")
    for item_id, reason in result.failures:
        out.write(f"  {item_id}: {reason}\n")
    if result.invalid:
        raise VerificationFailed(f"{result.invalid} post(s) failed verification")


async def link(settings: Settings, export_id: int, valid_for: str, out: TextIO) -> None:
    seconds = parse_duration(valid_for)
    if seconds is None:
        raise ValueError("a download link must expire")
    site = Site(settings.domain, settings.scheme)
    async with connection(database_url(settings)) as conn:
        await migrate(conn)
        export = await get_export(conn, export_id)
        if export is None or export.state != "done":
            raise ValueError(f"export {export_id} is not a finished export")
        token = await create_download_link(conn, export_id, timedelta(seconds=seconds))
    out.write(f"{site.base_url}/exports/{export_id}/{token}\n")


async def cmd_export(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    if args.export_command == "verify":
        verify(args.file, out)
    else:
        await link(settings, args.export_id, args.valid_for, out)

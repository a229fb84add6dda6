"""`rukun housekeeping [--dry-run]`: one housekeeping pass now, printing what it removed (or,
dry, what it would remove) per kind."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from db.migrate import migrate
from db.pool import connection
from node.database import database_url
from node.housekeeping import retention_from, run_housekeeping
from node.settings import Settings


def add_housekeeping(commands: Any, add_common: Any) -> None:
    housekeeping = commands.add_parser(
        "housekeeping", help="prune old deliveries, activities, credentials and files now"
    )
    add_common(housekeeping)
    housekeeping.add_argument(
        "--dry-run", action="store_true", help="count what would be removed, remove nothing"
    )


async def cmd_housekeeping(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    async with connection(database_url(settings)) as conn:
        await migrate(conn)
        removed = await run_housekeeping(
            conn, retention_from(settings), settings.data_dir / "media", dry_run=args.dry_run
        )
    verb = "would remove" if args.dry_run else "removed"
    for name, count in removed.items():
        out.write(f"{name:<22} {verb} {count}\n")

"""The embedded PostgreSQL: with no database configured, a private server from the `pgserver`
wheel runs inside the node's data directory, so one command runs a whole node."""

from __future__ import annotations

import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pgserver asks platformdirs for a runtime directory at import, which warns where
    # XDG_RUNTIME_DIR is unset (containers, CI); the server's files go to the data dir anyway.
    warnings.simplefilter("ignore")
    import pgserver


class EmbeddedDatabaseError(RuntimeError):
    pass


def start(data_dir: Path) -> str:
    """Start (or join) the server kept in `data_dir/postgres` and return its URL.

    Several processes may call this with the same directory: pgserver shares one server between
    them and stops it when the last one exits."""
    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    except Exception as error:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {pgdata}: {error}"
        ) from error
    return str(server.get_uri())

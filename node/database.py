"""Which PostgreSQL the node uses: the configured one, or the embedded one in the data dir."""

from __future__ import annotations

from db import embedded
from node.settings import Settings


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return embedded.start(settings.data_dir)

"""Dates as Mastodon writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """`2026-11-27T07:21:11.000Z`: UTC, milliseconds, `Z`."""
    if moment is None:
        return None
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def day(moment: datetime | None) -> str | None:
    """`2026-11-27`: Mastodon's `last_status_at`."""
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d")


def midnight(moment: datetime) -> str:
    """Mastodon reports an account's `created_at` at midnight of its day, hiding the hour."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT00:00:00.000Z")

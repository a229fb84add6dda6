"""Keyset paging over an id column, as Mastodon pages: `max_id` gives what is older, `since_id`
what is newer (newest first), `min_id` the page right after it (read oldest first, returned
newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = 20


def window_sql(column: str, window: Window, first_param: int) -> tuple[str, str, list[int]]:
    """(`AND …` conditions, `ORDER BY … LIMIT n`, their parameters numbered from
    `first_param`). `column` is a module constant, never input."""
    conditions: list[str] = []
    values: list[int] = []
    for bound, operator in (
        (window.max_id, "<"),
        (window.since_id, ">"),
        (window.min_id, ">"),
    ):
        if bound is not None:
            values.append(bound)
            conditions.append(f" AND {column} {operator} ${first_param + len(values) - 1}")
    direction = "ASC" if window.min_id is not None else "DESC"
    return "".join(conditions), f" ORDER BY {column} {direction} LIMIT {int(window.limit)}", values


def newest_first(rows: Sequence[T], window: Window) -> list[T]:
    return list(reversed(rows)) if window.min_id is not None else list(rows)

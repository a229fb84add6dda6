"""CSV files in Mastodon's import formats, read and checked as a whole before anything is done.

Mastodon's `Form::Import` reads with a header when the first cell of the first line is one of
its known first headers (`Account address`, `#domain`, `#uri`, `List name`), and otherwise as
one value per line: the old export of follows, and the exports of blocks, bookmarks and lists,
have no header at all. Its converters are followed here: an address loses a leading `@`,
domains are lower-cased, `Show boosts`, `Notify on new posts` and `Hide notifications` are
Rails booleans (`false`, `f`, `0`, `off` are false; blank is "not given"), `Languages` is a
comma-separated list. Where Mastodon would silently drop a column, a row of the wrong width is
refused here: a file that does not have the shape of its type imports nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

MAX_CSV_BYTES = 20 * 1024 * 1024  # Mastodon's FILE_SIZE_LIMIT
MAX_ROWS = 20_000  # Mastodon's ROWS_PROCESSING_LIMIT
MAX_LISTED_ERRORS = 50  # a refusal names this many lines, then says how many more

CSV_TYPES = ("following", "blocking", "muting", "domain_blocking", "bookmarks", "lists")

EXPECTED_HEADERS: dict[str, tuple[str, ...]] = {
    "following": ("Account address", "Show boosts", "Notify on new posts", "Languages"),
    "blocking": ("Account address",),
    "muting": ("Account address", "Hide notifications"),
    "domain_blocking": ("#domain",),
    "bookmarks": ("#uri",),
    "lists": ("List name", "Account address"),
}
KNOWN_FIRST_HEADERS = frozenset(headers[0] for headers in EXPECTED_HEADERS.values())
# Without a header, Mastodon reads these columns.
DEFAULT_HEADERS: dict[str, tuple[str, ...]] = {
    "following": ("Account address",),
    "blocking": ("Account address",),
    "muting": ("Account address",),
    "domain_blocking": ("#domain",),
    "bookmarks": ("#uri",),
    "lists": ("List name", "Account address"),
}
ATTRIBUTE_BY_HEADER = {
    "Account address": "acct",
    "Show boosts": "show_reblogs",
    "Notify on new posts": "notify",
    "Languages": "languages",
    "Hide notifications": "hide_notifications",
    "#domain": "domain",
    "#uri": "uri",
    "List name": "list_name",
}
_FALSE = frozenset({"false", "f", "0", "off"})  # ActiveModel::Type::Boolean, lower-cased


class ImportFileError(ValueError):
    """The file cannot be imported; `errors` says why, line by line where it can."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _boolean(value: str) -> bool | None:
    value = value.strip().lower()
    if not value:
        return None
    return value not in _FALSE


def _convert(header: str, value: str) -> Any:
    if header in ("Show boosts", "Notify on new posts", "Hide notifications"):
        return _boolean(value)
    if header == "Languages":
        return [part.strip() for part in value.split(",") if part.strip()] or None
    if header == "Account address":
        return value.strip().removeprefix("@")
    if header == "#domain":
        return value.strip().lower()
    return value.strip()


def _text(data: bytes) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFileError([f"line {line}: binary data, not CSV text"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError([f"line {line}: not UTF-8 text"]) from None


def _refusal(errors: list[str]) -> ImportFileError:
    if len(errors) > MAX_LISTED_ERRORS:
        more = len(errors) - MAX_LISTED_ERRORS
        errors = [*errors[:MAX_LISTED_ERRORS], f"… and {more} more lines with errors"]
    return ImportFileError(errors)


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank record; a record's line is where it starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError([f"line {start}: {error}"]) from None
    return records


def _headers(
    kind: str, records: list[tuple[int, list[str]]]
) -> tuple[tuple[str, ...], list[tuple[int, list[str]]]]:
    """The file's own header (and the records after it), or Mastodon's default columns."""
    first_line, first = records[0]
    if not first or first[0] not in KNOWN_FIRST_HEADERS:
        return DEFAULT_HEADERS[kind], records
    headers = tuple(cell.strip() for cell in first)
    if any(header not in headers for header in DEFAULT_HEADERS[kind]):
        raise ImportFileError(
            [
                f"line {first_line}: the header ({', '.join(headers)}) is not that of a "
                f"{kind} export; expected {', '.join(EXPECTED_HEADERS[kind])}"
            ]
        )
    return headers, records[1:]


def parse_csv(kind: str, data: bytes) -> list[dict[str, Any]]:
    """The rows of a Mastodon CSV export of `kind`, each a dict of Mastodon's row attributes
    (`acct`, `show_reblogs`, `notify`, `languages`, `hide_notifications`, `domain`, `uri`,
    `list_name`) plus `line`. Raises ImportFileError listing every line that is wrong."""
    if kind not in EXPECTED_HEADERS:
        raise ImportFileError([f"unknown import type {kind!r}"])
    if len(data) > MAX_CSV_BYTES:
        raise ImportFileError([f"the file is larger than {MAX_CSV_BYTES // 1048576} MB"])
    records = _records(_text(data))
    if not records:
        raise ImportFileError(["the file is empty"])
    headers, records = _headers(kind, records)
    if len(records) > MAX_ROWS:
        raise ImportFileError([f"the file has more than {MAX_ROWS} rows"])
    wanted = set(EXPECTED_HEADERS[kind])
    required = ATTRIBUTE_BY_HEADER[DEFAULT_HEADERS[kind][-1]]  # the address, domain or URI
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for line, cells in records:
        if len(cells) != len(headers):
            plural = "" if len(headers) == 1 else "s"
            errors.append(
                f"line {line}: expected {len(headers)} column{plural}, found {len(cells)}"
            )
            continue
        row: dict[str, Any] = {"line": line}
        for header, cell in zip(headers, cells, strict=True):
            if header in wanted:
                row[ATTRIBUTE_BY_HEADER[header]] = _convert(header, cell)
        if not row.get(required):
            errors.append(f"line {line}: the {DEFAULT_HEADERS[kind][-1]} is empty")
            continue
        rows.append(row)
    if errors:
        raise _refusal(errors)
    return rows

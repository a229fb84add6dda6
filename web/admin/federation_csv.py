"""Domain lists as CSV, in Mastodon's export format, so lists move between Rukun and
Mastodon in both directions: blocks as
`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`, allows as
`#domain`. Parsing is pure; the import page applies the rows one command each."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from actors.partners import DomainPolicy
from federation.domain_policy import SEVERITIES

BLOCK_HEADER = [
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
]
MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class BlockRow:
    line: int
    domain: str
    severity: str
    reject_media: bool
    reject_reports: bool
    public_comment: str
    obfuscate: bool


def _flag(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def blocks_csv(rules: list[DomainPolicy]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BLOCK_HEADER)
    for rule in rules:
        writer.writerow(
            [
                rule.domain,
                rule.severity,
                str(rule.reject_media).lower(),
                str(rule.reject_reports).lower(),
                rule.public_comment,
                str(rule.obfuscate).lower(),
            ]
        )
    return out.getvalue()


def allows_csv(rules: list[DomainPolicy]) -> str:
    return "#domain\n" + "".join(f"{rule.domain}\n" for rule in rules)


def parse_blocks(text: str) -> tuple[list[BlockRow], list[str]]:
    """The rows, and a message per line that could not be read. A first line naming the
    columns (`#domain,…`, Mastodon's header) is read as the column order; without it the
    order is Mastodon's, and a bare list of domains blocks each with `suspend`."""
    rows: list[BlockRow] = []
    problems: list[str] = []
    columns = [name.lstrip("#") for name in BLOCK_HEADER]
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > MAX_ROWS:
            problems.append(f"only the first {MAX_ROWS} lines are read")
            break
        if not cells or not "".join(cells).strip():
            continue
        if number == 1 and cells[0].strip().startswith("#"):
            columns = [cell.strip().lstrip("#") for cell in cells]
            continue
        values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        severity = values.get("severity") or "suspend"
        if severity not in SEVERITIES:
            problems.append(f"line {number}: severity must be one of {', '.join(SEVERITIES)}")
            continue
        if not values.get("domain"):
            problems.append(f"line {number}: no domain")
            continue
        rows.append(
            BlockRow(
                number,
                values["domain"],
                severity,
                _flag(values.get("reject_media", "")),
                _flag(values.get("reject_reports", "")),
                values.get("public_comment", ""),
                _flag(values.get("obfuscate", "")),
            )
        )
    return rows, problems

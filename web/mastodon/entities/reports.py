"""Mastodon's Report entity (what the reporting member gets back) and Admin::Report (what the
staff see), with Rukun's moderator notes under `rukun.notes`."""

from __future__ import annotations

from typing import Any

from actors.instance import Rule
from actors.reports import Report, ReportNote
from web.mastodon.entities.dates import iso


def _ids(values: list[int] | None) -> list[str]:
    return [str(value) for value in values or []]


def render_report(report: Report, target_account: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso(report.resolved_at) if report.resolved_at else None,
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso(report.created_at),
        "status_ids": _ids(report.status_ids) or None,
        "rule_ids": _ids(report.rule_ids) or None,
        "target_account": target_account,
    }


def render_note(note: ReportNote) -> dict[str, Any]:
    return {
        "id": str(note.id),
        "account_id": str(note.account_id) if note.account_id else None,
        "content": note.content,
        "created_at": iso(note.created_at),
    }


def render_admin_report(
    report: Report,
    accounts: dict[int, dict[str, Any]],
    statuses: list[dict[str, Any]],
    rules: list[Rule],
    notes: list[ReportNote],
) -> dict[str, Any]:
    """`accounts` holds the Admin::Account of every account the report names."""

    def account(account_id: int | None) -> dict[str, Any] | None:
        return accounts.get(account_id) if account_id is not None else None

    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso(report.resolved_at) if report.resolved_at else None,
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at or report.created_at),
        "account": account(report.account_id),
        "target_account": account(report.target_account_id),
        "assigned_account": account(report.assigned_account_id),
        "action_taken_by_account": account(report.action_taken_by_account_id),
        "statuses": statuses,
        "rules": [
            {"id": str(rule.id), "text": rule.text, "hint": rule.hint}
            for rule in rules
            if rule.id in (report.rule_ids or [])
        ],
        "rukun": {"notes": [render_note(note) for note in notes]},
    }

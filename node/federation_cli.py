"""`rukun federation allow|block|remove|label|list`: the partner domains this node talks to,
with the organisation behind each and how it relates to this one."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

import asyncpg

from actors.partners import (
    RELATIONSHIPS,
    DomainPolicy,
    PartnerError,
    do_allow_domain,
    do_label_domain,
    do_remove_domain,
    list_domain_policies,
)
from db.migrate import migrate
from db.pool import connection
from federation.domain_policy import SEVERITIES
from node.database import database_url
from node.settings import Settings
from outbox.domain_blocks import do_block_domain_now


def add_federation(commands: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    federation = commands.add_parser("federation", help="choose the domains this node talks to")
    policy_commands = federation.add_subparsers(
        dest="federation_command", required=True, metavar="ACTION"
    )
    allow = policy_commands.add_parser("allow", help="make a domain a partner")
    add_common(allow)
    allow.add_argument("target_domain", metavar="DOMAIN")
    allow.add_argument("--reason", default="")
    _add_label_options(allow)
    block = policy_commands.add_parser("block", help="block a domain and its subdomains")
    add_common(block)
    block.add_argument("target_domain", metavar="DOMAIN")
    block.add_argument("--reason", default="")
    block.add_argument(
        "--severity",
        choices=SEVERITIES,
        default="suspend",
        help="suspend (default: no federation) or silence (federate, flagged for moderation)",
    )
    remove = policy_commands.add_parser("remove", help="forget the rule for a domain")
    add_common(remove)
    remove.add_argument("target_domain", metavar="DOMAIN")
    label = policy_commands.add_parser(
        "label", help="name the organisation behind a domain's rule and its relationship"
    )
    add_common(label)
    label.add_argument("target_domain", metavar="DOMAIN")
    _add_label_options(label)
    policy_list = policy_commands.add_parser("list", help="list allowed and blocked domains")
    add_common(policy_list)


def _add_label_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--organisation", help='the organisation\'s name ("" clears it)')
    parser.add_argument(
        "--relationship",
        choices=[*RELATIONSHIPS, ""],
        help='how it relates to this organisation ("" clears it)',
    )


def _label(rule: DomainPolicy) -> str:
    if not rule.organisation and not rule.relationship:
        return ""
    parts = [p for p in (rule.organisation, rule.relationship) if p]
    return f" ({', '.join(parts)})"


async def cmd_federation(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    action = args.federation_command

    async def run(conn: asyncpg.Connection) -> None:
        if action == "allow":
            rule = await do_allow_domain(
                conn,
                args.target_domain,
                reason=args.reason,
                organisation=args.organisation,
                relationship=args.relationship,
            )
            out.write(f"allowed {rule.domain}{_label(rule)}\n")
        elif action == "label":
            rule = await do_label_domain(
                conn,
                args.target_domain,
                organisation=args.organisation,
                relationship=args.relationship,
            )
            out.write(f"labelled {rule.domain}{_label(rule) or ' (no label)'}\n")
        elif action == "block":
            # As the admin API does: deliveries already queued there are dropped at once.
            rule = await do_block_domain_now(
                conn, None, args.target_domain, reason=args.reason, severity=args.severity
            )
            out.write(f"blocked {rule.domain} ({rule.severity})\n")
        elif action == "remove":
            if not await do_remove_domain(conn, args.target_domain):
                raise PartnerError(f"no rule for {args.target_domain!r}")
            out.write(f"removed {args.target_domain.strip().lower()}\n")
        else:
            out.write(f"federation mode: {settings.federation_mode}\n")
            out.write(
                f"{'DOMAIN':<40} {'POLICY':<7} {'SEVERITY':<9} {'ORGANISATION':<30}"
                f" {'RELATIONSHIP':<12} REASON\n"
            )
            for rule in await list_domain_policies(conn):
                severity = rule.severity if rule.policy == "block" else "-"
                line = (
                    f"{rule.domain:<40} {rule.policy:<7} {severity:<9}"
                    f" {rule.organisation or '-':<30} {rule.relationship or '-':<12}"
                    f" {rule.reason or '-'}"
                )
                out.write(line.rstrip() + "\n")

    async with connection(database_url(settings)) as conn:
        await migrate(conn)
        await run(conn)

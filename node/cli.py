"""The `rukun` command line. Errors print one line to stderr and exit non-zero."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TextIO

import asyncpg

from actors.accounts import (
    ROLES,
    MemberError,
    do_create_member,
    do_set_disabled,
    get_member,
    list_members,
)
from actors.credentials import check_scopes, do_create_token
from actors.invitations import (
    InvitationError,
    do_create_invitation,
    do_revoke_invitation,
    invitation_link,
    list_invitations,
    parse_duration,
)
from actors.news_subscription import do_subscribe_to_news
from actors.node_policy import CHOICES, PolicyError, do_set_policy, load_policy, parse_value
from actors.offboarding import do_offboard
from actors.partners import (
    PartnerError,
)
from actors.passwords import WeakPassword, generate_password
from actors.roles import do_change_role
from actors.site import Site
from db.embedded import EmbeddedDatabaseError
from db.migrate import migrate
from db.pool import connection
from node import logs
from node.database import database_url
from node.export_cli import add_export, cmd_export
from node.federation_cli import add_federation, cmd_federation
from node.housekeeping_cli import add_housekeeping, cmd_housekeeping
from node.serve import serve
from node.settings import FEDERATION_MODES, Settings, SettingsError, load


class CommandError(Exception):
    pass


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML settings file (or RUKUN_CONFIG)")
    parser.add_argument("--database-url", help="PostgreSQL URL; embedded server when unset")
    parser.add_argument("--data-dir", help="where the node keeps its files (default ./data)")
    parser.add_argument("--domain", help="the node's public domain, e.g. social.example.com")


def _add_serve(commands: Any) -> None:
    run = commands.add_parser("serve", help="run the node (web server and workers)")
    _add_common(run)
    run.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default 8080)")
    run.add_argument(
        "--role",
        dest="process_role",
        choices=("all", "web", "worker"),
        help="what this process runs",
    )
    run.add_argument("--workers", type=int, help="jobs run at once by this process")
    run.add_argument("--resolve", help="domain=address:port,... where to reach other nodes")
    run.add_argument(
        "--insecure-http",
        action="store_const",
        const=True,
        help="use http:// ids (development only)",
    )
    run.add_argument(
        "--allow-private-addresses",
        action="store_const",
        const=True,
        help="allow fetching from private and loopback addresses",
    )
    run.add_argument(
        "--federation-mode",
        choices=FEDERATION_MODES,
        help="allowlist (default: partners only) or open (everyone not blocked)",
    )
    run.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain")
    run.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    run.add_argument(
        "--trusted-proxies",
        metavar="NETS",
        help="addresses/networks whose X-Forwarded-* headers are believed, comma-separated",
    )
    run.add_argument(
        "--ca-bundle",
        metavar="PEM",
        help="more CAs to trust for outgoing https (with the system's)",
    )


def _add_user_role(user_commands: Any) -> None:
    role = user_commands.add_parser("role", help="give a member another role")
    _add_common(role)
    role.add_argument("name")
    role.add_argument("new_role", metavar="ROLE", choices=ROLES)


def _add_user_offboard(user_commands: Any) -> None:
    offboard = user_commands.add_parser(
        "offboard", help="a member leaves: read-only, archive link, then disabled"
    )
    _add_common(offboard)
    offboard.add_argument("name")
    offboard.add_argument(
        "--read-only-days", type=float, default=14, help="days of read-only access (default 14)"
    )
    offboard.add_argument(
        "--link-days",
        type=float,
        default=14,
        help="days the archive link works after the account closes (default 14)",
    )


def _add_invite(commands: Any) -> None:
    invite = commands.add_parser("invite", help="invitations to join the node")
    actions = invite.add_subparsers(dest="invite_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an invitation and print its link")
    _add_common(create)
    create.add_argument("--role", choices=ROLES, default="customer")
    create.add_argument("--expires-in", default="never", help="30m, 12h, 7d, 2w or never")
    create.add_argument("--max-uses", type=int, help="how many may sign up with it")
    _add_common(actions.add_parser("list", help="list invitations with their links"))
    revoke = actions.add_parser("revoke", help="revoke an invitation")
    _add_common(revoke)
    revoke.add_argument("invitation_id", metavar="ID", type=int)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rukun", description="Run and manage a Rukun node.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_serve(commands)

    mig = commands.add_parser("migrate", help="apply database migrations")
    _add_common(mig)

    user = commands.add_parser("user", help="manage members")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="create a member")
    _add_common(add)
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password", help="initial password (generated and printed when omitted)")
    add.add_argument("--email")
    add.add_argument("--display-name", default="")
    listing = user_commands.add_parser("list", help="list members")
    _add_common(listing)
    for action, text in (("disable", "disable a member"), ("enable", "re-enable a member")):
        sub = user_commands.add_parser(action, help=text)
        _add_common(sub)
        sub.add_argument("name")
    _add_user_role(user_commands)
    _add_user_offboard(user_commands)
    _add_invite(commands)

    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="print a new bearer token for a member")
    _add_common(create)
    create.add_argument("name")
    create.add_argument("--scopes", default="read write follow")

    add_federation(commands, _add_common)

    policy = commands.add_parser("policy", help="the admins' choices for this node")
    node_policy = policy.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    _add_common(node_policy.add_parser("list", help="show every choice and its value"))
    change = node_policy.add_parser("set", help="change one choice")
    _add_common(change)
    change.add_argument("key", choices=sorted(CHOICES), metavar="KEY")
    change.add_argument("value", metavar="VALUE", help="true/false, or domains separated by commas")
    add_export(commands, _add_common)
    add_housekeeping(commands, _add_common)
    return parser


_SETTING_FLAGS = (
    "domain",
    "host",
    "port",
    "database_url",
    "data_dir",
    "workers",
    "resolve",
    "insecure_http",
    "allow_private_addresses",
    "federation_mode",
    "tls_cert",
    "tls_key",
    "trusted_proxies",
    "ca_bundle",
)


def settings_from(args: argparse.Namespace) -> Settings:
    flags = {name: getattr(args, name, None) for name in _SETTING_FLAGS}
    flags["role"] = getattr(args, "process_role", None)
    return load(flags, config_file=args.config)


async def _with_database(
    settings: Settings, action: Callable[[asyncpg.Connection], Awaitable[Any]]
) -> Any:
    async with connection(database_url(settings)) as conn:
        await migrate(conn)
        return await action(conn)


async def cmd_migrate(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    async with connection(database_url(settings)) as conn:
        applied = await migrate(conn)
    if applied:
        for m in applied:
            out.write(f"applied {m.version:04d}_{m.name}\n")
    else:
        out.write("database is up to date\n")


async def cmd_user(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    if args.user_command == "add":
        # `--password ""` is a (weak) password, not a request for a generated one.
        password = generate_password() if args.password is None else args.password

        async def add(conn: asyncpg.Connection) -> None:
            async with conn.transaction():
                member = await do_create_member(
                    conn,
                    args.name,
                    args.role,
                    email=args.email,
                    password=password,
                    display_name=args.display_name,
                    password_change_required=args.password is None,
                )
                await do_subscribe_to_news(conn, member.account.id)
            out.write(f"created {member.username} ({member.role})\n")
            if args.password is None:
                out.write(f"one-time password: {password}\n")

        await _with_database(settings, add)
    elif args.user_command == "list":

        async def show(conn: asyncpg.Connection) -> None:
            members = await list_members(conn)
            out.write(f"{'USERNAME':<24} {'ROLE':<10} {'STATUS':<9} EMAIL\n")
            for m in members:
                status = "disabled" if m.disabled_at else "leaving" if m.leaves_at else "active"
                out.write(f"{m.username:<24} {m.role:<10} {status:<9} {m.email or '-'}\n")

        await _with_database(settings, show)
    elif args.user_command == "role":

        async def change(conn: asyncpg.Connection) -> None:
            member = await get_member(conn, args.name)
            if member is None:
                raise CommandError(f"no member named {args.name!r}")
            changed = await do_change_role(conn, None, member, args.new_role)
            out.write(f"{changed.username} is now {changed.role}\n")

        await _with_database(settings, change)
    elif args.user_command == "offboard":
        await _with_database(settings, lambda conn: _offboard(conn, settings, args, out))
    else:
        disable = args.user_command == "disable"

        async def toggle(conn: asyncpg.Connection) -> None:
            member = await do_set_disabled(conn, args.name, disable)
            out.write(f"{member.username} {'disabled' if disable else 'enabled'}\n")

        await _with_database(settings, toggle)


async def _offboard(
    conn: asyncpg.Connection, settings: Settings, args: argparse.Namespace, out: TextIO
) -> None:
    member = await get_member(conn, args.name)
    if member is None:
        raise CommandError(f"no member named {args.name!r}")
    done = await do_offboard(
        conn,
        None,
        member.user_id,
        read_only_for=timedelta(days=args.read_only_days),
        link_after=timedelta(days=args.link_days),
    )
    site = Site(settings.domain, settings.scheme)
    out.write(f"{member.username} is read-only until {done.leaves_at:%Y-%m-%d %H:%M} UTC, ")
    out.write("then disabled; their internal content stays\n")
    out.write(f"archive {done.export.id} is being prepared; give them this link, valid until ")
    out.write(f"{done.download_expires_at:%Y-%m-%d %H:%M} UTC:\n")
    out.write(f"{site.base_url}/exports/{done.export.id}/{done.download_token}\n")
    out.write("until then they may name their new account (POST /api/v1/rukun/move)\n")


async def cmd_invite(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    site = Site(settings.domain, settings.scheme)

    async def run(conn: asyncpg.Connection) -> None:
        if args.invite_command == "create":
            invitation = await do_create_invitation(
                conn,
                None,
                await load_policy(conn),
                args.role,
                expires_in=parse_duration(args.expires_in),
                max_uses=args.max_uses,
            )
            out.write(invitation_link(site, invitation.code) + "\n")
        elif args.invite_command == "revoke":
            invitation = await do_revoke_invitation(conn, None, args.invitation_id)
            out.write(f"revoked invitation {invitation.id}\n")
        else:
            out.write(f"{'ID':<20} {'ROLE':<10} {'USES':<9} {'EXPIRES':<26} STATE  LINK\n")
            for i in await list_invitations(conn, None):
                uses = f"{i.uses}/{i.max_uses if i.max_uses is not None else '-'}"
                expires = i.expires_at.isoformat(timespec="minutes") if i.expires_at else "never"
                state = "revoked" if i.revoked_at else "open"
                link = invitation_link(site, i.code)
                out.write(f"{i.id:<20} {i.role:<10} {uses:<9} {expires:<26} {state:<6} {link}\n")

    await _with_database(settings, run)


async def cmd_token(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    scopes = check_scopes(args.scopes)

    async def create(conn: asyncpg.Connection) -> None:
        member = await get_member(conn, args.name)
        if member is None:
            raise CommandError(f"no member named {args.name!r}")
        if member.disabled_at is not None:
            raise CommandError(f"{member.username} is disabled")
        out.write(await do_create_token(conn, member.user_id, scopes) + "\n")

    await _with_database(settings, create)


async def cmd_policy(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    async def run(conn: asyncpg.Connection) -> None:
        if args.policy_command == "set":
            current = await do_set_policy(conn, args.key, parse_value(args.key, args.value))
        else:
            current = await load_policy(conn)
        for key in sorted(CHOICES):
            value = getattr(current, key)
            if isinstance(value, bool | int):
                shown = str(value).lower()
            else:
                shown = (value if isinstance(value, str) else ",".join(value)) or "-"
            out.write(f"{key:<28} {shown}\n")

    await _with_database(settings, run)


async def cmd_serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> None:
    await serve(settings, out)


COMMANDS = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "user": cmd_user,
    "token": cmd_token,
    "federation": cmd_federation,
    "policy": cmd_policy,
    "invite": cmd_invite,
    "export": cmd_export,
    "housekeeping": cmd_housekeeping,
}


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        logs.configure(settings.log_level if args.command == "serve" else "WARNING")
        asyncio.run(COMMANDS[args.command](settings, args, out))
    except KeyboardInterrupt:
        return 130
    except (
        SettingsError,
        MemberError,
        PartnerError,
        PolicyError,
        InvitationError,
        WeakPassword,
        CommandError,
        EmbeddedDatabaseError,
        ValueError,
    ) as error:
        print(f"rukun: error: {error}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as error:
        print(f"rukun: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real `rukun` console script, run as a subprocess against a real database."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from actors.credentials import authenticate_token
from actors.passwords import verify_password
from db.pool import connection

RUKUN = Path(sys.executable).parent / "rukun"


@dataclass(frozen=True, slots=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one line a failed command prints on stderr."""
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("rukun: error: "), self.err
        return lines[0].removeprefix("rukun: error: ")


Rukun = Callable[..., Awaitable[Run]]


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any RUKUN_* setting a developer may have exported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUKUN_")}
    env.update(extra)
    return env


async def run_rukun(*args: str, env: dict[str, str], cwd: Path) -> Run:
    process = await asyncio.create_subprocess_exec(
        RUKUN,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


@pytest.fixture
def rukun(database_url: str, tmp_path: Path) -> Rukun:
    """`await rukun("user", "list")` against this test's database."""

    async def run(*args: str, **env: str) -> Run:
        environment = clean_environment(RUKUN_DATABASE_URL=database_url, **env)
        return await run_rukun(*args, env=environment, cwd=tmp_path)

    return run


async def stored_user(database_url: str, username: str) -> dict[str, object] | None:
    async with connection(database_url) as conn:
        row = await conn.fetchrow(
            """SELECT u.role, u.email, u.password_hash, u.password_change_required,
                      u.disabled_at, a.display_name
               FROM users u JOIN accounts a ON a.id = u.account_id
               WHERE a.username = $1 AND a.domain IS NULL""",
            username,
        )
    return dict(row) if row else None


async def test_migrate_applies_once(empty_database: str, tmp_path: Path) -> None:
    env = clean_environment(RUKUN_DATABASE_URL=empty_database)
    first = await run_rukun("migrate", env=env, cwd=tmp_path)
    assert first.code == 0, first.err
    assert first.out.splitlines()[0] == "applied 0001_foundation"
    again = await run_rukun("migrate", env=env, cwd=tmp_path)
    assert (again.code, again.out, again.err) == (0, "database is up to date\n", "")


async def test_add_member_with_a_generated_password(rukun: Rukun, database_url: str) -> None:
    run = await rukun("user", "add", "alice", "--role", "employee")
    assert run.code == 0, run.err
    created, password_line = run.out.splitlines()
    assert created == "created alice (employee)"
    password = password_line.removeprefix("one-time password: ")
    assert password != password_line and len(password) >= 16
    user = await stored_user(database_url, "alice")
    assert user is not None
    assert user["password_change_required"] is True
    assert verify_password(str(user["password_hash"]), password)


async def test_add_member_with_password_email_and_display_name(
    rukun: Rukun, database_url: str
) -> None:
    run = await rukun(
        "user",
        "add",
        "bob",
        "--role",
        "customer",
        "--password",
        "correct horse battery",
        "--email",
        "bob@customer.example",
        "--display-name",
        "Bob B.",
    )
    assert (run.code, run.out, run.err) == (0, "created bob (customer)\n", "")
    user = await stored_user(database_url, "bob")
    assert user is not None
    assert (user["role"], user["email"], user["display_name"]) == (
        "customer",
        "bob@customer.example",
        "Bob B.",
    )
    assert user["password_change_required"] is False
    assert verify_password(str(user["password_hash"]), "correct horse battery")


async def test_duplicate_name_is_one_error_line(rukun: Rukun) -> None:
    assert (await rukun("user", "add", "alice", "--role", "employee")).code == 0
    for name in ("alice", "ALICE"):
        run = await rukun("user", "add", name, "--role", "admin")
        assert (run.code, run.out) == (1, "")
        assert run.error_line == f"username {name!r} is already taken"


async def test_bad_role_is_a_usage_error(rukun: Rukun, database_url: str) -> None:
    run = await rukun("user", "add", "carol", "--role", "superuser")
    assert run.code == 2
    assert "argument --role: invalid choice: 'superuser'" in run.err
    assert await stored_user(database_url, "carol") is None


@pytest.mark.parametrize("password", ["short", ""])
async def test_weak_password_is_refused(rukun: Rukun, database_url: str, password: str) -> None:
    run = await rukun("user", "add", "dave", "--role", "employee", "--password", password)
    assert (run.code, run.out) == (1, "")
    assert run.error_line == "password must be at least 8 characters"
    assert await stored_user(database_url, "dave") is None


async def test_bad_member_details_are_refused(rukun: Rukun) -> None:
    run = await rukun("user", "add", "bad name", "--role", "employee")
    assert (run.code, run.error_line) == (
        1,
        "username must be 1 to 30 letters, digits or underscores",
    )
    run = await rukun("user", "add", "erin", "--role", "employee", "--email", "erin")
    assert (run.code, run.error_line) == (1, "'erin' is not an email address")


async def test_list_shows_roles_and_status(rukun: Rukun) -> None:
    assert (await rukun("user", "add", "alice", "--role", "moderator")).code == 0
    assert (
        await rukun("user", "add", "bob", "--role", "customer", "--email", "bob@b.example")
    ).code == 0
    assert (await rukun("user", "disable", "bob")).out == "bob disabled\n"
    run = await rukun("user", "list")
    assert run.code == 0, run.err
    rows = [line.split() for line in run.out.splitlines()]
    assert rows == [
        ["USERNAME", "ROLE", "STATUS", "EMAIL"],
        ["alice", "moderator", "active", "-"],
        ["bob", "customer", "disabled", "bob@b.example"],
    ]


async def test_token_prints_only_the_token(rukun: Rukun, database_url: str) -> None:
    assert (await rukun("user", "add", "alice", "--role", "employee")).code == 0
    run = await rukun("token", "create", "alice", "--scopes", "read write:statuses")
    assert run.code == 0, run.err
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}\n", run.out), run.out
    assert run.err == ""
    default = await rukun("token", "create", "alice")
    async with connection(database_url) as conn:
        grant = await authenticate_token(conn, run.out.strip())
        assert grant is not None and grant.member is not None
        assert grant.member.username == "alice"
        assert grant.scopes == {"read", "write:statuses"}
        other = await authenticate_token(conn, default.out.strip())
        assert other is not None and other.scopes == {"read", "write", "follow"}
        assert await authenticate_token(conn, run.out.strip()[:-1]) is None


async def test_token_errors(rukun: Rukun) -> None:
    assert (await rukun("user", "add", "alice", "--role", "employee")).code == 0
    run = await rukun("token", "create", "nobody")
    assert (run.code, run.out, run.error_line) == (1, "", "no member named 'nobody'")
    run = await rukun("token", "create", "alice", "--scopes", "read everything")
    assert (run.code, run.out, run.error_line) == (1, "", "unknown scope 'everything'")


async def test_disable_ends_tokens_and_enable_restores_access(
    rukun: Rukun, database_url: str
) -> None:
    # Given a member with a token that works
    assert (await rukun("user", "add", "alice", "--role", "employee")).code == 0
    token = (await rukun("token", "create", "alice")).out.strip()
    async with connection(database_url) as conn:
        assert await authenticate_token(conn, token) is not None
    # When the member is disabled
    run = await rukun("user", "disable", "alice")
    assert (run.code, run.out) == (0, "alice disabled\n")
    # Then the token stops working and no new one is issued
    async with connection(database_url) as conn:
        assert await authenticate_token(conn, token) is None
    refused = await rukun("token", "create", "alice")
    assert (refused.code, refused.error_line) == (1, "alice is disabled")
    # And after enabling, the old token stays revoked while a new one works
    assert (await rukun("user", "enable", "alice")).out == "alice enabled\n"
    fresh = (await rukun("token", "create", "alice")).out.strip()
    async with connection(database_url) as conn:
        assert await authenticate_token(conn, token) is None
        assert await authenticate_token(conn, fresh) is not None
    assert (await stored_user(database_url, "alice") or {})["disabled_at"] is None


async def test_disable_unknown_member(rukun: Rukun) -> None:
    for action in ("disable", "enable"):
        run = await rukun("user", action, "nobody")
        assert (run.code, run.error_line) == (1, "no member named 'nobody'")


async def test_bad_settings_are_one_error_line(rukun: Rukun, tmp_path: Path) -> None:
    run = await rukun("user", "list", "--domain", "bad domain")
    assert (run.code, run.out) == (1, "")
    assert run.error_line.startswith("domain: 'bad domain' is not a host name")
    run = await rukun("migrate", RUKUN_WORKERS="many")
    assert run.error_line == "workers: expected a whole number, got 'many' (from RUKUN_WORKERS)"
    run = await rukun("user", "list", "--config", str(tmp_path / "missing.toml"))
    assert run.error_line == f"config file {tmp_path / 'missing.toml'} does not exist"


async def test_unreachable_database_is_one_error_line(tmp_path: Path) -> None:
    env = clean_environment(RUKUN_DATABASE_URL="postgresql://postgres@127.0.0.1:1/none")
    run = await run_rukun("user", "list", env=env, cwd=tmp_path)
    assert (run.code, run.out) == (1, "")
    assert "127.0.0.1" in run.error_line


async def test_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    run = await run_rukun(env=clean_environment(), cwd=tmp_path)
    assert run.code == 2
    assert "usage: rukun" in run.err

"""The admins' run-time choices (`actors.node_policy`) and `rukun policy list|set`."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from actors.node_policy import NodePolicy, PolicyError, do_set_policy, load_policy
from tests.test_cli import Rukun, Run, clean_environment, run_rukun


@pytest.fixture
def rukun(database_url: str, tmp_path: Path) -> Rukun:
    async def run(*args: str, **env: str) -> Run:
        environment = clean_environment(RUKUN_DATABASE_URL=database_url, **env)
        return await run_rukun(*args, env=environment, cwd=tmp_path)

    return run


async def test_defaults_are_the_closed_node(conn: asyncpg.Connection) -> None:
    assert await load_policy(conn) == NodePolicy()
    assert NodePolicy().customers_see_local is False


async def test_set_checks_types_and_normalises_domains(conn: asyncpg.Connection) -> None:
    policy = await do_set_policy(conn, "signup_email_domains", "Example.COM, corp.example")
    assert policy.signup_email_domains == ("corp.example", "example.com")
    policy = await do_set_policy(conn, "customers_see_customers", True)
    assert policy.customers_see_customers is True
    with pytest.raises(PolicyError, match="true or false"):
        await do_set_policy(conn, "hide_usage_counts", "yes")
    with pytest.raises(PolicyError, match="unknown policy"):
        await do_set_policy(conn, "everything_public", True)
    with pytest.raises(PolicyError, match="signup_email_domains"):
        await do_set_policy(conn, "signup_email_domains", "not a domain/")
    assert (await load_policy(conn)).hide_usage_counts is False


async def test_cli_lists_and_sets(rukun: Rukun) -> None:
    run = await rukun("policy", "set", "employees_may_invite", "yes")
    assert run.code == 0, run.err
    assert "employees_may_invite         true\n" in run.out
    run = await rukun("policy", "list")
    assert "signup_email_domains         -\n" in run.out
    run = await rukun("policy", "set", "hide_usage_counts", "maybe")
    assert run.code == 1
    assert run.err == "rukun: error: hide_usage_counts is true or false, not 'maybe'\n"


async def test_a_number_of_days_is_a_whole_number(conn: asyncpg.Connection) -> None:
    assert (await load_policy(conn)).move_cooldown_days == 30
    policy = await do_set_policy(conn, "move_cooldown_days", 7)
    assert policy.move_cooldown_days == 7
    for wrong in ("7", -1, True, 1.5):
        with pytest.raises(PolicyError, match="whole number"):
            await do_set_policy(conn, "move_cooldown_days", wrong)
    assert (await load_policy(conn)).move_cooldown_days == 7


async def test_cli_sets_a_number(rukun: Rukun) -> None:
    run = await rukun("policy", "set", "move_cooldown_days", "0")
    assert run.code == 0, run.err
    assert "move_cooldown_days           0\n" in run.out
    run = await rukun("policy", "set", "move_cooldown_days", "soon")
    assert run.code == 1
    assert run.err == "rukun: error: move_cooldown_days is a whole number, not 'soon'\n"

"""`rukun federation allow|block|remove|list` and the `federation_mode` setting, through the
real console script against a real database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actors.partners import PartnerLabel, allows_domain, partner_labels
from db.pool import connection
from node.settings import SettingsError, load
from tests.test_cli import Rukun, Run, clean_environment, run_rukun


@pytest.fixture
def rukun(database_url: str, tmp_path: Path) -> Rukun:
    async def run(*args: str, **env: str) -> Run:
        environment = clean_environment(RUKUN_DATABASE_URL=database_url, **env)
        return await run_rukun(*args, env=environment, cwd=tmp_path)

    return run


async def allowed(database_url: str, domain: str, mode: str = "allowlist") -> bool:
    async with connection(database_url) as conn:
        return await allows_domain(conn, domain, mode=mode)


async def test_allow_block_remove_and_list(rukun: Rukun, database_url: str) -> None:
    run = await rukun("federation", "allow", "B.Test", "--reason", "sister company")
    assert (run.code, run.out, run.err) == (0, "allowed b.test\n", "")
    assert await allowed(database_url, "b.test")

    run = await rukun("federation", "block", "spam.example", "--reason", "spam")
    assert (run.code, run.out) == (0, "blocked spam.example (suspend)\n")
    run = await rukun("federation", "block", "loud.example", "--severity", "silence")
    assert (run.code, run.out) == (0, "blocked loud.example (silence)\n")
    assert not await allowed(database_url, "mail.spam.example", mode="open")

    run = await rukun("federation", "list")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "federation mode: allowlist"
    assert [line.split(maxsplit=5) for line in lines[1:]] == [
        ["DOMAIN", "POLICY", "SEVERITY", "ORGANISATION", "RELATIONSHIP", "REASON"],
        ["b.test", "allow", "-", "-", "-", "sister company"],
        ["loud.example", "block", "silence", "-", "-", "-"],
        ["spam.example", "block", "suspend", "-", "-", "spam"],
    ]

    run = await rukun("federation", "remove", "b.test")
    assert (run.code, run.out) == (0, "removed b.test\n")
    assert not await allowed(database_url, "b.test")


async def test_list_shows_the_configured_mode(rukun: Rukun) -> None:
    run = await rukun("federation", "list", RUKUN_FEDERATION_MODE="open")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "federation mode: open",
        "DOMAIN                                   POLICY  SEVERITY  ORGANISATION"
        "                   RELATIONSHIP REASON",
    ]


async def test_mistakes_are_one_error_line(rukun: Rukun, database_url: str) -> None:
    run = await rukun("federation", "allow", "https://b.test/")
    assert (run.code, run.out) == (1, "")
    assert run.error_line == "'https://b.test/' is not a domain name (like social.example.com)"

    run = await rukun("federation", "remove", "nowhere.example")
    assert (run.code, run.error_line) == (1, "no rule for 'nowhere.example'")

    run = await rukun("federation", "block", "b.test", "--severity", "banish")
    assert run.code == 2
    assert "invalid choice: 'banish'" in run.err

    run = await rukun("federation", "list", RUKUN_FEDERATION_MODE="closed")
    assert (run.code, run.error_line) == (
        1,
        "federation_mode: expected allowlist or open, got 'closed' (from RUKUN_FEDERATION_MODE)",
    )
    assert not await allowed(database_url, "b.test")


def test_federation_mode_setting(tmp_path: Path) -> None:
    assert load({}, environ={}).federation_mode == "allowlist"
    assert load({}, environ={"RUKUN_FEDERATION_MODE": " Open "}).federation_mode == "open"
    config = tmp_path / "rukun.toml"
    config.write_text('federation_mode = "open"\n', encoding="utf-8")
    assert load({}, environ={}, config_file=config).federation_mode == "open"
    assert (
        load({"federation_mode": "allowlist"}, environ={}, config_file=config).federation_mode
        == "allowlist"
    )
    with pytest.raises(SettingsError, match="federation_mode: expected allowlist or open"):
        load({"federation_mode": "closed"}, environ={})


async def test_partner_organisations_are_labelled(rukun: Rukun, database_url: str) -> None:
    # Given a partner allowed with its organisation's name and relationship
    run = await rukun(
        "federation", "allow", "b.test", "--organisation", "Beta Ltd", "--relationship", "customer"
    )
    assert (run.code, run.out, run.err) == (0, "allowed b.test (Beta Ltd, customer)\n", "")
    # When an existing rule is labelled, and a label part changed alone
    await rukun("federation", "block", "c.test")
    run = await rukun("federation", "label", "c.test", "--organisation", "Gamma Sdn Bhd")
    assert (run.code, run.out) == (0, "labelled c.test (Gamma Sdn Bhd)\n")
    run = await rukun("federation", "label", "b.test", "--relationship", "supplier")
    assert (run.code, run.out) == (0, "labelled b.test (Beta Ltd, supplier)\n")
    # Allowing again without label options keeps the label
    await rukun("federation", "allow", "b.test", "--reason", "renewed")

    # Then the list shows them
    run = await rukun("federation", "list")
    rows = [re.split(r"\s{2,}", line) for line in run.out.splitlines()[2:]]
    assert rows == [
        ["b.test", "allow", "-", "Beta Ltd", "supplier", "renewed"],
        ["c.test", "block", "suspend", "Gamma Sdn Bhd", "-", "-"],
    ]
    async with connection(database_url) as conn:
        labels = await partner_labels(conn, ["b.test", "social.b.test", "d.test"])
    assert labels == {
        "b.test": PartnerLabel("Beta Ltd", "supplier", "b.test"),
        "social.b.test": PartnerLabel("Beta Ltd", "supplier", "b.test"),
    }

    # Mistakes are one error line and change nothing
    run = await rukun("federation", "label", "d.test", "--organisation", "Delta")
    assert (run.code, run.error_line) == (1, "no rule for 'd.test': allow or block it first")
    run = await rukun("federation", "label", "b.test", "--relationship", "friend")
    assert run.code == 2 and "invalid choice: 'friend'" in run.err
    run = await rukun("federation", "label", "b.test", "--organisation", "x" * 101)
    assert (run.code, run.error_line) == (1, "organisation: at most 100 characters, got 101")
    run = await rukun("federation", "label", "b.test", "--organisation", "", "--relationship", "")
    assert (run.code, run.out) == (0, "labelled b.test (no label)\n")

"""`rukun invite create|list|revoke` and `rukun user role`, as an operator runs them."""

from __future__ import annotations

import re

from tests.test_cli import Rukun, rukun, stored_user  # noqa: F401 (the fixture)


async def test_invite_create_list_and_revoke(rukun: Rukun) -> None:  # noqa: F811
    created = await rukun(
        "invite",
        "create",
        "--role",
        "customer",
        "--expires-in",
        "7d",
        "--max-uses",
        "5",
        RUKUN_DOMAIN="social.corp.example",
    )
    assert created.code == 0, created.err
    link = created.out.strip()
    assert re.fullmatch(r"https://social\.corp\.example/invite/[A-Za-z0-9_-]{20,}", link), link

    listed = await rukun("invite", "list", RUKUN_DOMAIN="social.corp.example")
    assert listed.code == 0, listed.err
    [row] = listed.out.splitlines()[1:]
    invitation_id, role, uses, *_rest = row.split()
    assert (role, uses) == ("customer", "0/5")
    assert row.endswith(link)
    assert " open " in row

    revoked = await rukun("invite", "revoke", invitation_id)
    assert revoked.code == 0, revoked.err
    assert revoked.out == f"revoked invitation {invitation_id}\n"
    assert " revoked " in (await rukun("invite", "list")).out

    bad = await rukun("invite", "create", "--expires-in", "soon")
    assert bad.code == 1
    assert "not a duration" in bad.error_line
    missing = await rukun("invite", "revoke", "12345")
    assert missing.code == 1
    assert missing.error_line == "Record not found"


async def test_user_role_changes_a_role_but_keeps_an_admin(
    rukun: Rukun,  # noqa: F811
    database_url: str,
) -> None:
    assert (await rukun("user", "add", "boss", "--role", "admin")).code == 0
    assert (await rukun("user", "add", "emma", "--role", "employee")).code == 0

    promoted = await rukun("user", "role", "emma", "moderator")
    assert promoted.code == 0, promoted.err
    assert promoted.out == "emma is now moderator\n"
    stored = await stored_user(database_url, "emma")
    assert stored is not None and stored["role"] == "moderator"

    last = await rukun("user", "role", "boss", "employee")
    assert last.code == 1
    assert last.error_line == "the node must keep at least one active admin"
    disabled = await rukun("user", "disable", "boss")
    assert disabled.code == 1
    assert disabled.error_line == "the node must keep at least one active admin"
    unknown = await rukun("user", "role", "nobody", "admin")
    assert unknown.code == 1

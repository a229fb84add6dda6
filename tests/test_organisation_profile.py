"""The organisation profile through the client API: the member's `rukun[...]` edit (form and
JSON), its checks (Mastodon-shaped 422s, nothing written), the read-only fields and typed
`rukun` attribute apps see, the admins' edit, the directory and the org chart."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
import requests

from actors.accounts import Member, do_set_disabled
from tests.live import LiveNode
from tests.test_api_accounts import client, raw

UPDATE = "/api/v1/accounts/update_credentials"


def set_manager(node: LiveNode, member: Member, manager: Member | None) -> None:
    async def write(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "UPDATE accounts SET manager_id = $2 WHERE id = $1",
            member.account.id,
            manager.account.id if manager else None,
        )

    node.with_conn(write)


def stored(node: LiveNode, member: Member) -> dict[str, Any]:
    async def read(conn: asyncpg.Connection) -> dict[str, Any]:
        row = await conn.fetchrow(
            "SELECT department, job_title, location, phone, skills, start_date, manager_id"
            " FROM accounts WHERE id = $1",
            member.account.id,
        )
        return dict(row)

    return node.with_conn(read)


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {field["name"]: field["value"] for field in body["fields"]}


def test_a_member_edits_the_organisation_profile_by_form_and_json(live_node: LiveNode) -> None:
    boss = live_node.member("boss", display_name="The Boss")
    alice = live_node.member("alice")
    token = live_node.token(alice)

    # Given Rails' bracket form, as browsers and most apps send it
    response = raw(
        live_node,
        "PATCH",
        UPDATE,
        token,
        data={
            "fields_attributes[0][name]": "Pronouns",
            "fields_attributes[0][value]": "she/her",
            "rukun[department]": "Research & Development",
            "rukun[job_title]": "Engineer",
            "rukun[location]": "Kuala Lumpur",
            "rukun[phone]": "+60 3-1234 5678",
            "rukun[skills][]": ["Go", "SQL", "sql", " "],
            "rukun[start_date]": "2021-03-01",
            "rukun[manager_id]": str(boss.account.id),
        },
    )

    # Then the values are stored, typed, and shown as read-only fields after her own
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"]["fields"] == [
        {"name": "Pronouns", "value": "she/her", "verified_at": None}
    ]
    assert [f["name"] for f in body["fields"]] == [
        "Pronouns", "Department", "Job title", "Manager", "Location", "Phone", "Skills",
        "Start date",
    ]  # fmt: skip
    shown = fields(body)
    assert shown["Department"] == "Research &amp; Development"
    assert shown["Manager"] == (
        '<span class="h-card"><a href="https://rukun.test/@boss" class="u-url mention">'
        "@<span>boss</span></a></span>"
    )
    assert shown["Skills"] == "Go, SQL"
    assert shown["Start date"] == "2021-03-01"
    assert body["rukun"] == {
        "department": "Research & Development",
        "job_title": "Engineer",
        "manager": {"id": str(boss.account.id), "acct": "boss"},
        "location": "Kuala Lumpur",
        "phone": "+60 3-1234 5678",
        "skills": ["Go", "SQL"],
        "start_date": "2021-03-01",
        "organisation": None,
    }

    # When an app's profile editor writes back what it read (source.fields) with Mastodon.py
    api = client(live_node, alice)
    me = api.account_verify_credentials()
    api.account_update_credentials(fields=[(f.name, f.value) for f in me.source.fields])

    # Then the organisation rows are not duplicated into her own fields
    again = api.account_verify_credentials()
    assert [f.name for f in again.source.fields] == ["Pronouns"]
    assert [f.name for f in again.fields].count("Department") == 1
    # Other members see the same fields through Mastodon.py (the phone included: local)
    seen = client(live_node, boss).account(alice.account.id)
    assert seen.rukun.phone == "+60 3-1234 5678"
    assert {f.name for f in seen.fields} >= {"Department", "Manager", "Phone"}

    # JSON: clear the phone, the skills, the start date and the manager
    response = raw(
        live_node,
        "PATCH",
        UPDATE,
        token,
        json={"rukun": {"phone": "", "skills": [], "start_date": "", "manager_id": None}},
    )
    assert response.status_code == 200, response.text
    assert stored(live_node, alice) | {"department": None} == {
        "department": None,
        "job_title": "Engineer",
        "location": "Kuala Lumpur",
        "phone": "",
        "skills": [],
        "start_date": None,
        "manager_id": None,
    }
    assert set(fields(response.json())) == {"Pronouns", "Department", "Job title", "Location"}


@pytest.mark.parametrize(
    ("rukun", "message"),
    [
        ({"phone": "call me maybe"}, "Phone is not a phone number"),
        ({"phone": "+" + "1" * 40}, "Phone is too long (maximum is 32 characters)"),
        ({"phone": "++"}, "Phone is not a phone number"),
        ({"skills": [f"s{i}" for i in range(21)]}, "Skills is too long (maximum is 20)"),
        ({"skills": ["x" * 51]}, "Skill is too long (maximum is 50 characters)"),
        ({"skills": [{"a": 1}]}, "skills must be a list of strings"),
        ({"start_date": "2024-13-01"}, "Start date is not a date (expected YYYY-MM-DD)"),
        ({"start_date": "01/02/2024"}, "Start date is not a date (expected YYYY-MM-DD)"),
        ({"department": "x" * 101}, "Department is too long (maximum is 100 characters)"),
        ({"job_title": ["x"]}, "job_title must be a string"),
        ({"manager_id": "boss"}, "manager_id must be an id"),
        ({"manager_id": "999999999"}, "Manager is not an account on this server"),
    ],
)
def test_bad_organisation_values_answer_422_and_change_nothing(
    live_node: LiveNode, rukun: dict[str, Any], message: str
) -> None:
    alice = live_node.member("alice")
    before = stored(live_node, alice)
    response = raw(live_node, "PATCH", UPDATE, live_node.token(alice), json={"rukun": rukun})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"error": f"Validation failed: {message}"}
    assert stored(live_node, alice) == before


def test_managers_are_active_local_members_and_never_loop(live_node: LiveNode) -> None:
    # Given alice → boss → chief
    alice, boss, chief = (live_node.member(n) for n in ("alice", "boss", "chief"))
    gone = live_node.member("gone")
    set_manager(live_node, alice, boss)
    set_manager(live_node, boss, chief)

    async def setup(conn: asyncpg.Connection) -> int:
        await do_set_disabled(conn, "gone", True)
        return await conn.fetchval(
            """INSERT INTO accounts (username, domain, uri, public_key_pem)
               VALUES ('far', 'b.test', 'https://b.test/users/far', '') RETURNING id"""
        )

    remote_id = live_node.with_conn(setup)

    def edit(member: Member, manager_id: int) -> requests.Response:
        token = live_node.token(member)
        return raw(live_node, "PATCH", UPDATE, token, data={"rukun[manager_id]": str(manager_id)})

    cases = [
        (chief, alice.account.id, "reports to this member"),  # chief → alice → boss → chief
        (boss, alice.account.id, "reports to this member"),
        (alice, alice.account.id, "Manager cannot be the member themself"),
        (alice, remote_id, "Manager must be a member of this server"),
        (alice, gone.account.id, "Manager is not an active member"),
    ]
    for member, manager_id, message in cases:
        response = edit(member, manager_id)
        assert response.status_code == 422, (member.username, response.text)
        assert message in response.json()["error"]
    assert stored(live_node, chief)["manager_id"] is None
    assert stored(live_node, boss)["manager_id"] == chief.account.id

    # A chain that does not loop is fine: alice now reports to chief directly.
    assert edit(alice, chief.account.id).status_code == 200
    assert stored(live_node, alice)["manager_id"] == chief.account.id


def test_admins_set_a_members_manager_and_department(live_node: LiveNode) -> None:
    admin = live_node.member("admin", role="admin")
    moderator = live_node.member("mod", role="moderator")
    alice, boss = live_node.member("alice"), live_node.member("boss")
    set_manager(live_node, boss, alice)
    path = f"/api/v1/rukun/admin/accounts/{alice.account.id}/organisation"
    body = {"manager_id": str(boss.account.id), "department": "Finance"}

    # Without the admin scope, or without the admin role, nothing is allowed
    response = raw(live_node, "PATCH", path, live_node.token(admin), json=body)
    assert (response.status_code, response.json()) == (
        403,
        {"error": "This action is outside the authorized scopes"},
    )
    staff = live_node.token(moderator, "admin:write:accounts")
    response = raw(live_node, "PATCH", path, staff, json=body)
    assert (response.status_code, response.json()) == (403, {"error": "This action is not allowed"})

    token = live_node.token(admin, "admin:write:accounts")
    # A loop is refused: boss reports to alice
    response = raw(live_node, "PATCH", path, token, json=body)
    assert response.status_code == 422
    assert "reports to this member" in response.json()["error"]
    assert stored(live_node, alice)["department"] == ""

    set_manager(live_node, boss, None)
    response = raw(live_node, "PATCH", path, token, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["rukun"]["manager"] == {"id": str(boss.account.id), "acct": "boss"}
    assert response.json()["rukun"]["department"] == "Finance"
    # Clearing the manager; unknown accounts are 404
    response = raw(live_node, "PATCH", path, token, data={"manager_id": ""})
    assert response.json()["rukun"]["manager"] is None
    missing = raw(
        live_node, "PATCH", "/api/v1/rukun/admin/accounts/1/organisation", token, json=body
    )
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})


def test_the_directory_filters_by_department_and_skill(live_node: LiveNode) -> None:
    people = {
        "ana": ("Engineering", ["Go", "SQL"]),
        "ben": ("engineering", ["Python"]),
        "cat": ("Sales", ["go"]),
        "dan": ("Engineering", []),
        "eve": ("Engineering", ["Go"]),
    }
    members = {name: live_node.member(name) for name in people}

    async def setup(conn: asyncpg.Connection) -> None:
        for name, (department, skills) in people.items():
            await conn.execute(
                "UPDATE accounts SET department = $2, skills = $3 WHERE id = $1",
                members[name].account.id,
                department,
                skills,
            )
        await conn.execute("UPDATE accounts SET discoverable = false WHERE username = 'dan'")
        await do_set_disabled(conn, "eve", True)
        await conn.execute(
            """INSERT INTO accounts (username, domain, uri, public_key_pem, department)
               VALUES ('far', 'b.test', 'https://b.test/users/far', '', 'Engineering')"""
        )

    live_node.with_conn(setup)
    token = live_node.token(members["ana"])

    def names(**query: Any) -> list[str]:
        response = raw(live_node, "GET", "/api/v1/directory", token, params=query)
        assert response.status_code == 200, response.text
        return sorted(account["acct"] for account in response.json())

    assert names() == ["ana", "ben", "cat", "far@b.test"]
    assert names(local="true") == ["ana", "ben", "cat"]
    assert names(department="ENGINEERING") == ["ana", "ben", "far@b.test"]
    assert names(skill="go") == ["ana", "cat"]
    assert names(department="engineering", skill="GO") == ["ana"]
    assert names(department="Nowhere") == []
    # Mastodon's parameters, through Mastodon.py
    api = client(live_node, members["ana"])
    newest = api.directory(order="new", local=True, limit=2)
    assert [a.acct for a in newest] == ["cat", "ben"]
    assert [a.acct for a in api.directory(order="new", local=True, offset=2)] == ["ana"]
    response = raw(live_node, "GET", "/api/v1/directory", token, params={"order": "random"})
    assert (response.status_code, response.json()) == (
        422,
        {"error": "Validation failed: order must be one of active, new"},
    )
    assert raw(live_node, "GET", "/api/v1/directory").status_code == 401


def test_the_org_chart_goes_up_to_the_top_and_down_one_level(live_node: LiveNode) -> None:
    ceo, cto, lead = (live_node.member(n) for n in ("ceo", "cto", "lead"))
    ana, ben, gone = (live_node.member(n) for n in ("ana", "ben", "gone"))
    set_manager(live_node, cto, ceo)
    set_manager(live_node, lead, cto)
    for report in (ana, ben, gone):
        set_manager(live_node, report, lead)
    live_node.with_conn(lambda conn: do_set_disabled(conn, "gone", True))
    token = live_node.token(ana)

    response = raw(live_node, "GET", f"/api/v1/rukun/accounts/{lead.account.id}/org_chart", token)

    assert response.status_code == 200, response.text
    chart = response.json()
    assert [a["acct"] for a in chart["manager_chain"]] == ["cto", "ceo"]
    assert [a["acct"] for a in chart["direct_reports"]] == ["ana", "ben"]
    assert chart["direct_reports"][0]["rukun"]["manager"]["acct"] == "lead"
    top = raw(live_node, "GET", f"/api/v1/rukun/accounts/{ceo.account.id}/org_chart", token)
    assert top.json()["manager_chain"] == []
    assert [a["acct"] for a in top.json()["direct_reports"]] == ["cto"]
    unknown = raw(live_node, "GET", "/api/v1/rukun/accounts/1/org_chart", token)
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Record not found"})


def test_an_old_loop_in_the_data_never_hangs_the_chart(live_node: LiveNode) -> None:
    # Given a loop written before the checks existed (straight into the table)
    ana, ben = live_node.member("ana"), live_node.member("ben")
    set_manager(live_node, ana, ben)
    set_manager(live_node, ben, ana)
    token = live_node.token(ana)
    response = raw(live_node, "GET", f"/api/v1/rukun/accounts/{ana.account.id}/org_chart", token)
    assert [a["acct"] for a in response.json()["manager_chain"]] == ["ben"]


def test_customers_do_not_find_each_other_in_the_directory_or_org_chart(
    live_node: LiveNode,
) -> None:
    lead = live_node.member("lead")
    ana = live_node.member("ana")
    acme, zeta = live_node.member("acme", "customer"), live_node.member("zeta", "customer")
    for member in (ana, acme, zeta):
        set_manager(live_node, member, lead)  # an account manager "manages" the customers

    def seen_by(member: Member) -> tuple[list[str], list[str]]:
        token = live_node.token(member)
        listed = raw(live_node, "GET", "/api/v1/directory", token, params={"local": "true"})
        chart = raw(live_node, "GET", f"/api/v1/rukun/accounts/{lead.account.id}/org_chart", token)
        return (
            sorted(a["acct"] for a in listed.json()),
            [a["acct"] for a in chart.json()["direct_reports"]],
        )

    # Employees see everyone; a customer sees the organisation and never another customer
    assert seen_by(ana) == (["acme", "ana", "lead", "zeta"], ["acme", "ana", "zeta"])
    assert seen_by(acme) == (["ana", "lead"], ["ana"])
    # Another customer's chart is not found at all
    token = live_node.token(acme)
    other = raw(live_node, "GET", f"/api/v1/rukun/accounts/{zeta.account.id}/org_chart", token)
    assert other.status_code == 404

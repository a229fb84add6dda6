"""The organisation profile between two live Rukun nodes: a member of a.test looks up a
b.test member through Mastodon.py and sees their department, job title and skills (sent as
Rukun's typed terms) and the partner organisation a.test's admins labelled b.test with."""

from __future__ import annotations

import asyncpg

from actors.partners import do_allow_domain
from tests.federation_network import Network
from tests.test_remote_actors_network import member_api


def test_a_partner_member_shows_department_title_and_organisation(network: Network) -> None:
    # Given bob on b.test with an organisation profile (and a phone, which stays on b.test)
    bob = network["b.test"].member("bob", display_name="Bob Builder")

    async def describe(conn: asyncpg.Connection) -> None:
        await conn.execute(
            """UPDATE accounts SET department = 'Procurement', job_title = 'Buyer',
                      skills = '{Negotiation,SAP}', start_date = '2020-01-06',
                      phone = '+60 3-555 0100'
               WHERE id = $1""",
            bob.account.id,
        )

    network["b.test"].with_conn(describe)
    # And a.test's admins label b.test as a customer
    network["a.test"].with_conn(
        lambda conn: do_allow_domain(
            conn, "b.test", organisation="Beta Ltd", relationship="customer"
        )
    )
    _, alice = member_api(network, "a.test", "alice")

    # When alice finds him and looks him up by handle
    assert [a.acct for a in alice.search_v2("@bob@b.test", resolve=True).accounts] == ["bob@b.test"]
    account = alice.account_lookup("bob@b.test")

    # Then the profile shows the organisation fields once each, and the partner label
    fields = {f.name: f.value for f in account.fields}
    assert fields == {
        "Department": "Procurement",
        "Job title": "Buyer",
        "Skills": "Negotiation, SAP",
        "Start date": "2020-01-06",
        "Organisation": "Beta Ltd",
    }
    assert account.rukun.department == "Procurement"
    assert account.rukun.job_title == "Buyer"
    assert account.rukun.skills == ["Negotiation", "SAP"]
    assert account.rukun.phone == ""  # never federated
    assert account.rukun.organisation == {
        "name": "Beta Ltd",
        "relationship": "customer",
        "domain": "b.test",
    }

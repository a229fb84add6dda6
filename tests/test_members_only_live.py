"""Members only, through Mastodon.py against a live node: employees share internal posts,
customers do not see them, customers follow employees, and customers cannot find each other."""

from __future__ import annotations

import pytest
import requests
from mastodon import Mastodon, MastodonNotFoundError

from tests.live import LiveNode


def client(node: LiveNode, name: str, role: str) -> tuple[int, Mastodon]:
    member = node.member(name, role)
    return member.account.id, node.mastodon(node.token(member, "read write follow"))


def make_internal_the_default(node: LiveNode, api: Mastodon) -> None:
    """Mastodon.py knows only Mastodon's four visibilities, so the app sets the default the way
    a web client does: `source[privacy]` in update_credentials."""
    response = requests.patch(
        f"{node.base_url}/api/v1/accounts/update_credentials",
        data={"source[privacy]": "local"},
        headers={"Authorization": f"Bearer {api.access_token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"]["privacy"] == "local"


def ids(statuses: list) -> set[str]:
    return {str(status["id"]) for status in statuses}


def test_internal_posts_stay_with_employees_and_customers_stay_apart(live_node: LiveNode) -> None:
    # Given two employees, who follow each other, and two customers
    emma_id, emma = client(live_node, "emma", "employee")
    _, eli = client(live_node, "eli", "employee")
    cara_id, cara = client(live_node, "cara", "customer")
    cody_id, cody = client(live_node, "cody", "customer")
    eli.account_follow(emma_id)
    cara.account_follow(emma_id)

    # When emma makes internal her default, posts, and posts once publicly
    make_internal_the_default(live_node, emma)
    assert emma.preferences()["posting:default:visibility"] == "local"
    internal = emma.status_post("Quarterly numbers, staff only")
    public = emma.status_post("Our new product is out", visibility="public")

    # Then the internal post renders as public with local_only, and eli sees it everywhere
    assert internal["visibility"] == "public" and internal["local_only"] is True
    assert eli.status(internal["id"])["id"] == internal["id"]
    assert str(internal["id"]) in ids(eli.timeline_home())
    assert str(internal["id"]) in ids(eli.timeline_public())

    # and the customer gets "not found" and never sees it in a timeline
    with pytest.raises(MastodonNotFoundError):
        cara.status(internal["id"])
    assert str(internal["id"]) not in ids(cara.timeline_home())
    assert str(internal["id"]) not in ids(cara.timeline_public())
    # while she sees the public post of the employee she follows in her home timeline
    assert str(public["id"]) in ids(cara.timeline_home())

    # A customer cannot look up, show or search for another customer, only herself
    with pytest.raises(MastodonNotFoundError):
        cara.account_lookup("cody")
    with pytest.raises(MastodonNotFoundError):
        cara.account(cody_id)
    assert cara.account_search("cody") == []
    assert str(cara.account_lookup("cara")["id"]) == str(cara_id)
    assert str(cody.account_lookup("emma")["id"]) == str(emma_id)

    # A reply to an internal post is internal too
    reply = eli.status_post("Great quarter", in_reply_to_id=internal["id"], visibility="public")
    assert reply["local_only"] is True
    with pytest.raises(MastodonNotFoundError):
        cara.status(reply["id"])

"""The federation test network itself: three nodes that reach each other by name."""

from __future__ import annotations

from tests.federation_network import Network


def test_nodes_fetch_each_others_actors_by_name(network: Network) -> None:
    network["b.test"].member("bob")

    async def fetch() -> dict[str, object]:
        return await network["a.test"].federation.fetch_object("http://b.test/users/bob")

    bob = network["a.test"].call(fetch)
    assert bob["id"] == "http://b.test/users/bob"
    assert bob["preferredUsername"] == "bob"
    assert network.settle() == 0

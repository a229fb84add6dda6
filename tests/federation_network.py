"""Several live Rukun nodes on loopback, each with its own database, that reach each other by
name (`a.test`, `b.test`, …) through the `resolve` map over plain HTTP — the real federation
code end to end, with no stub in between. `settle()` runs every node's queued jobs until no
node has any left (a delivery from one node queues inbound work on another)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actors.partners import do_allow_domain
from federation.http_client import ClientConfig
from tests.live import LiveNode


class Network:
    def __init__(
        self, fresh_database: Callable[[], str], root: Path, domains: tuple[str, ...]
    ) -> None:
        self.resolve: dict[str, tuple[str, int]] = {}
        self.nodes: dict[str, LiveNode] = {}
        for domain in domains:
            node = LiveNode(
                fresh_database(),
                root / domain / "media",
                domain=domain,
                scheme="http",
                client=ClientConfig(
                    resolve=self.resolve, insecure_http=True, user_agent=f"Rukun test {domain}"
                ),
            )
            # The map is shared by every node's client and filled before any request is made.
            self.resolve[domain] = ("127.0.0.1", node.port)
            self.nodes[domain] = node

    def __getitem__(self, domain: str) -> LiveNode:
        return self.nodes[domain]

    def start(self) -> Network:
        for node in self.nodes.values():
            node.start()
        # Federation is allowlist-only by default: every node takes the others as partners.
        for domain, node in self.nodes.items():
            for other in self.nodes:
                if other != domain:
                    node.with_conn(lambda conn, other=other: do_allow_domain(conn, other))
        return self

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()

    def settle(self, rounds: int = 20) -> int:
        """Drain every node's queue, round after round, until a round runs nothing."""
        total = 0
        for _ in range(rounds):
            ran = sum(node.drain() for node in self.nodes.values())
            total += ran
            if ran == 0:
                return total
        raise AssertionError(f"jobs still queued after {rounds} rounds")

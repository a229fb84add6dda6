"""How hard delivery tries: the backoff, the per-host breaker and when to give up. Plain
values with defaults, handed to the delivery job by the node (a `WebConfig` field later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    # Give up (dead letter) once a delivery has failed for this long.
    give_up_after_days: float = 7.0
    # Exponential backoff between attempts: base·2^(n-1) seconds, capped, with jitter.
    backoff_base: float = 30.0
    backoff_cap: float = 6 * 3600.0
    # A `Retry-After` further away than this is capped to it.
    max_retry_after: float = 24 * 3600.0
    # After this many consecutive failures to reach a host, its deliveries wait ...
    breaker_threshold: int = 5
    # ... this long, doubling with each further failure up to `backoff_cap`.
    breaker_seconds: float = 60.0

    @property
    def give_up_after_seconds(self) -> float:
        return self.give_up_after_days * 86400.0

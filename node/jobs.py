"""The job kinds this node runs, gathered from the layers that define them."""

from __future__ import annotations

from db.queue import Handler


def job_handlers() -> dict[str, Handler]:
    # Deliveries (outbox) and inbound activities (inbox) register here as those layers land.
    return {}

"""The job kinds this node runs, gathered from the layers that define them."""

from __future__ import annotations

from content.media_jobs import media_job_handlers
from db.queue import Handler
from web.config import WebConfig


def job_handlers(config: WebConfig) -> dict[str, Handler]:
    """Handlers by job kind. Deliveries (outbox) and inbound activities (inbox) register here
    as they land."""
    return {**media_job_handlers(config.media_root)}

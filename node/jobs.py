"""The job kinds this node runs, gathered from the layers that define them."""

from __future__ import annotations

from actors.offboarding import offboarding_job_handlers
from content.media_jobs import media_job_handlers
from db.queue import Handler
from federation.http_client import FederationClient
from inbox.dispatch import inbox_job_handlers
from node.housekeeping import Retention, housekeeping_job_handlers
from outbox.archive_export import export_job_handlers
from outbox.delivery import delivery_job_handlers
from outbox.imports import import_job_handlers
from web.config import WebConfig


def job_handlers(
    config: WebConfig, client: FederationClient, retention: Retention | None = None
) -> dict[str, Handler]:
    """Handlers by job kind: media processing (content), deliveries and members' exports and
    imports (outbox), inbound activities (inbox), the end of an offboarding (actors), and the
    node's own housekeeping."""
    return {
        **media_job_handlers(config.media_root),
        **delivery_job_handlers(
            config.site, client, config.delivery, federation_mode=config.federation_mode
        ),
        **inbox_job_handlers(config.site, client, federation_mode=config.federation_mode),
        **export_job_handlers(config.site, config.media_root),
        **import_job_handlers(
            config.site, client, config.media_root, federation_mode=config.federation_mode
        ),
        **offboarding_job_handlers(),
        **housekeeping_job_handlers(retention or Retention(), config.media_root),
    }

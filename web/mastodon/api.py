"""The client API's route groups, registered in one place."""

from __future__ import annotations

from aiohttp import web

from web.mastodon import (
    accounts,
    admin_accounts,
    groups,
    instance,
    invitations,
    markers,
    media,
    notifications,
    oauth,
    people,
    registrations,
    search,
    statuses,
    timelines,
    unimplemented,
)


def setup(app: web.Application) -> None:
    for group in (
        oauth,
        instance,
        accounts,
        statuses,
        timelines,
        notifications,
        media,
        search,
        markers,
        registrations,
        invitations,
        admin_accounts,
        people,
        groups,
    ):
        group.setup(app)
    # Last: answers Mastodon-shaped errors for the API's not-yet-built routes.
    unimplemented.setup(app)

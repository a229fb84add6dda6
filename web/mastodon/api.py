"""The client API's route groups, registered in one place."""

from __future__ import annotations

from aiohttp import web

from web.mastodon import (
    accounts,
    admin_accounts,
    admin_audit,
    admin_block_lists,
    admin_domains,
    admin_reports,
    announcements,
    articles,
    exports,
    feed_token,
    followed_tags,
    groups,
    imports,
    instance,
    invitations,
    markers,
    media,
    moves,
    notifications,
    oauth,
    offboarding,
    people,
    registrations,
    reports,
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
        offboarding,
        people,
        groups,
        exports,
        imports,
        followed_tags,
        announcements,
        feed_token,
        moves,
        articles,
        reports,
        admin_reports,
        admin_domains,
        admin_block_lists,
        admin_audit,
    ):
        group.setup(app)
    # Last: answers Mastodon-shaped errors for the API's not-yet-built routes.
    unimplemented.setup(app)

"""What apps read about the node before anyone signs in: `/api/v1/instance`, `/api/v2/instance`,
the rules, custom emoji; and, for members, peers and their own preferences.

The instance documents answer without a token (apps fetch them before login) and hold no member
data beyond counts. Their `version` starts with a Mastodon version because libraries parse it
to decide which endpoints exist: Mastodon.py reads the leading digits, and falls back to
probing (forever, on some paths) when the document is missing or the version is not numeric."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from actors.instance import Rule, count_known_domains, list_rules
from actors.node_policy import NodePolicy, load_policy
from actors.partners import list_domain_rules
from actors.preferences import get_preferences
from actors.site import Site
from actors.statistics import count_local_posts, node_usage
from content.compose import MAX_CHARACTERS, MAX_MEDIA
from content.images import MAX_DECODED_PIXELS
from content.media import MAX_DESCRIPTION, MAX_UPLOAD_BYTES
from federation.domain_policy import BLOCK
from web.config import WebConfig
from web.keys import config, connection
from web.mastodon.auth import require_member
from web.mastodon.entities.admin_domains import render_public_domain_block
from web.mastodon.responses import json_response
from web.mastodon.routes import add_routes
from web.wellknown import shows_usage_counts

MAX_LISTED_BLOCKS = 1000

MASTODON_VERSION = "4.5.0"
# API version 7 (Mastodon 4.5) brought quote posts, which Rukun does not have yet: saying 6
# keeps apps from offering them.
MASTODON_API_VERSION = 6
SOURCE_URL = ""  # no public repository yet; set it when there is one (AGPL-minded apps link it)
LANGUAGES = ["en"]
# What uploads accept (content.images reads these; GIFs are stored as PNG).
SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MAX_FEATURED_TAGS = 10
MAX_PINNED_STATUSES = 5
POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2_629_746,
}
CORS = {"Access-Control-Allow-Origin": "*"}


def version(settings: WebConfig) -> str:
    return f"{MASTODON_VERSION} (compatible; Rukun {settings.software_version})"


def streaming_url(site: Site) -> str:
    return f"{'wss' if site.scheme == 'https' else 'ws'}://{site.domain}"


def thumbnail_url(site: Site) -> str:
    return f"{site.base_url}/static/header.png"


def render_rule(rule: Rule) -> dict[str, Any]:
    return {"id": str(rule.id), "text": rule.text, "hint": rule.hint, "translations": {}}


def _statuses() -> dict[str, int]:
    return {
        "max_characters": MAX_CHARACTERS,
        "max_media_attachments": MAX_MEDIA,
        "characters_reserved_per_url": 23,
    }


def _media() -> dict[str, Any]:
    # Images only for now: zero video limits tell apps not to offer video uploads.
    return {
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "description_limit": MAX_DESCRIPTION,
        "image_size_limit": MAX_UPLOAD_BYTES,
        "image_matrix_limit": MAX_DECODED_PIXELS,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
    }


def _members_only_feeds() -> dict[str, str]:
    return {"local": "authenticated", "remote": "authenticated"}


def registrations_message(policy: NodePolicy) -> str | None:
    """What the sign-up screen of an app shows: who may sign up without an invitation."""
    if not policy.signup_email_domains:
        return None
    domains = ", ".join(policy.signup_email_domains)
    return (
        f"People with an email address at {domains} may ask for an employee account, which an"
        " administrator approves. Everyone else needs an invitation."
    )


def render_instance_v2(
    settings: WebConfig, active_month: int, rules: list[Rule], policy: NodePolicy
) -> dict[str, Any]:
    site = settings.site
    return {
        "domain": site.domain,
        "title": site.domain,
        "version": version(settings),
        "source_url": SOURCE_URL,
        "description": "",
        "usage": {"users": {"active_month": active_month}},
        "thumbnail": {"url": thumbnail_url(site)},
        "icon": [],
        "languages": LANGUAGES,
        "configuration": {
            "urls": {
                "streaming": streaming_url(site),
                "status": None,
                "about": f"{site.base_url}/about",
                "privacy_policy": None,
                "terms_of_service": None,
            },
            "vapid": {"public_key": ""},  # no Web Push yet
            "accounts": {
                "max_featured_tags": MAX_FEATURED_TAGS,
                "max_pinned_statuses": MAX_PINNED_STATUSES,
            },
            "statuses": _statuses(),
            "media_attachments": _media(),
            "polls": POLLS,
            "translation": {"enabled": False},
            "timelines_access": {
                "live_feeds": _members_only_feeds(),
                "hashtag_feeds": _members_only_feeds(),
                "trending_link_feeds": _members_only_feeds(),
            },
            # Federation is with partner nodes the admins approved (DESIGN.md).
            "limited_federation": True,
        },
        # Open only to the organisation's email domains (and then approved by an admin);
        # invitations work whatever this says.
        "registrations": {
            "enabled": bool(policy.signup_email_domains),
            "approval_required": True,
            "reason_required": False,
            "message": registrations_message(policy),
            "min_age": None,
            "url": None,
        },
        "api_versions": {"mastodon": MASTODON_API_VERSION},
        "contact": {"email": "", "account": None},
        "rules": [render_rule(rule) for rule in rules],
    }


def render_instance_v1(
    settings: WebConfig, stats: dict[str, int], rules: list[Rule], policy: NodePolicy
) -> dict[str, Any]:
    site = settings.site
    return {
        "uri": site.domain,
        "title": site.domain,
        "short_description": "",
        "description": "",
        "email": "",
        "version": version(settings),
        "urls": {"streaming_api": streaming_url(site)},
        "stats": stats,
        "thumbnail": thumbnail_url(site),
        "languages": LANGUAGES,
        "registrations": bool(policy.signup_email_domains),
        "approval_required": True,
        # Mastodon: whether ordinary members (not only staff) may invite.
        "invites_enabled": policy.employees_may_invite,
        "configuration": {
            "accounts": {"max_featured_tags": MAX_FEATURED_TAGS},
            "statuses": _statuses(),
            "media_attachments": _media(),
            "polls": POLLS,
        },
        "contact_account": None,
        "rules": [render_rule(rule) for rule in rules],
    }


async def instance_v2(request: web.Request) -> web.Response:
    settings = config(request)
    conn = connection(request)
    shown = await shows_usage_counts(request)
    active = (await node_usage(conn)).users_active_month if shown else 0
    document = render_instance_v2(settings, active, await list_rules(conn), await load_policy(conn))
    return json_response(document, headers=CORS)


async def instance_v1(request: web.Request) -> web.Response:
    settings = config(request)
    conn = connection(request)
    stats = {"user_count": 0, "status_count": 0, "domain_count": 0}
    if await shows_usage_counts(request):
        stats = {
            "user_count": (await node_usage(conn)).users_total,
            "status_count": await count_local_posts(conn),
            "domain_count": await count_known_domains(conn),
        }
    document = render_instance_v1(settings, stats, await list_rules(conn), await load_policy(conn))
    return json_response(document, headers=CORS)


async def rules(request: web.Request) -> web.Response:
    found = await list_rules(connection(request))
    return json_response([render_rule(rule) for rule in found], headers=CORS)


async def peers(request: web.Request) -> web.Response:
    """Which nodes this one federates with is for members only, and not listed yet."""
    await require_member(request)
    return json_response([])


async def domain_blocks(request: web.Request) -> web.Response:
    """The limited and suspended domains, for members (as Mastodon shows them to its users
    when the admins choose to): names obfuscated where the admins asked, public comments."""
    await require_member(request)
    rules = await list_domain_rules(connection(request), BLOCK, limit=MAX_LISTED_BLOCKS)
    return json_response(
        [render_public_domain_block(rule) for rule in rules if rule.severity != "noop"]
    )


async def activity(request: web.Request) -> web.Response:
    # What Mastodon answers when an admin turned weekly statistics off.
    return json_response({"error": "Record not found"}, status=404)


async def custom_emojis(request: web.Request) -> web.Response:
    return json_response([], headers=CORS)


async def extended_description(request: web.Request) -> web.Response:
    """Mastodon 4's "about" text, which apps (Elk, Phanpy, masto.js) fetch for the About page:
    answered as Mastodon answers when the admins have written none, never a 404."""
    return json_response({"updated_at": None, "content": ""}, headers=CORS)


async def translation_languages(request: web.Request) -> web.Response:
    return json_response({}, headers=CORS)  # no translation service


async def preferences(request: web.Request) -> web.Response:
    member = await require_member(request, "read:accounts")
    found = await get_preferences(connection(request), member.user_id)
    return json_response(
        {
            "posting:default:visibility": found.default_visibility,
            "posting:default:sensitive": found.default_sensitive,
            "posting:default:language": found.default_language,
            "reading:expand:media": found.expand_media,
            "reading:expand:spoilers": found.expand_spoilers,
        }
    )


def setup(app: web.Application) -> None:
    add_routes(
        app,
        [
            ("GET", "/api/v1/instance", instance_v1),
            ("GET", "/api/v2/instance", instance_v2),
            ("GET", "/api/v1/instance/rules", rules),
            ("GET", "/api/v1/instance/peers", peers),
            ("GET", "/api/v1/instance/activity", activity),
            ("GET", "/api/v1/instance/domain_blocks", domain_blocks),
            ("GET", "/api/v1/instance/translation_languages", translation_languages),
            ("GET", "/api/v1/instance/extended_description", extended_description),
            ("GET", "/api/v1/custom_emojis", custom_emojis),
            ("GET", "/api/v1/preferences", preferences),
        ],
    )

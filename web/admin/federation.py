"""`/admin/federation` (admins only): which domains are partners and which are blocked, with
their reasons and labels; forms to allow, block, label and remove; the block list as CSV
(Mastodon's format) both ways; and how deliveries to each host are going, with the dead
letters to send again or discard."""

from __future__ import annotations

from aiohttp import web

from actors.partners import (
    RELATIONSHIPS,
    BlockOptions,
    PartnerError,
    do_allow_domain,
    do_label_domain,
    do_remove_domain,
    list_domain_policies,
)
from federation.domain_policy import ALLOW, BLOCK, SEVERITIES
from outbox.delivery_records import (
    dead_deliveries,
    do_discard_dead_letter,
    do_retry_dead_letter,
    host_health,
)
from outbox.domain_blocks import do_block_domain_now
from web.admin.common import admin_page, done, form, path_id, render, staff
from web.admin.federation_csv import allows_csv, blocks_csv, parse_blocks
from web.keys import connection

PATH = "/admin/federation"
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@admin_page
async def index(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    rules = await list_domain_policies(conn)
    context = {
        "allowed": [r for r in rules if r.policy == ALLOW],
        "blocked": [r for r in rules if r.policy == BLOCK],
        "health": await host_health(conn),
        "dead": await dead_deliveries(conn),
        "severities": SEVERITIES,
        "relationships": RELATIONSHIPS,
    }
    return render(request, "admin/federation.html", context)


@admin_page
async def change(request: web.Request) -> web.StreamResponse:
    conn = connection(request)
    actor = staff(request)
    fields = await form(request)
    action = fields.get("action", "")
    domain = fields.get("domain", "")
    try:
        if action == "allow":
            rule = await do_allow_domain(
                conn,
                domain,
                reason=fields.get("reason", ""),
                organisation=fields.get("organisation") or None,
                relationship=fields.get("relationship") or None,
                actor=actor,
            )
            message = f"{rule.domain} is a partner."
        elif action == "block":
            severity = fields.get("severity", "suspend")
            if severity not in SEVERITIES:
                raise PartnerError(f"severity: expected one of {', '.join(SEVERITIES)}")
            rule = await do_block_domain_now(
                conn,
                actor,
                domain,
                severity=severity,
                reason=fields.get("reason", ""),
                options=BlockOptions(
                    reject_media="reject_media" in fields,
                    reject_reports="reject_reports" in fields,
                    public_comment=fields.get("public_comment", ""),
                ),
            )
            message = f"{rule.domain} is blocked ({rule.severity})."
        elif action == "label":
            rule = await do_label_domain(
                conn,
                domain,
                organisation=fields.get("organisation", ""),
                relationship=fields.get("relationship", ""),
                actor=actor,
            )
            message = f"{rule.domain} is labelled."
        elif action == "remove":
            removed = await do_remove_domain(conn, domain, actor=actor)
            message = "The rule is removed." if removed else "There was no such rule."
        else:
            raise web.HTTPBadRequest(reason="Unknown action")
    except PartnerError as error:
        return done(request, PATH, str(error), error=True)
    return done(request, PATH, message)


@admin_page
async def export_blocks(request: web.Request) -> web.StreamResponse:
    rules = await list_domain_policies(connection(request))
    return _csv(blocks_csv([r for r in rules if r.policy == BLOCK]), "domain_blocks.csv")


@admin_page
async def export_allows(request: web.Request) -> web.StreamResponse:
    rules = await list_domain_policies(connection(request))
    return _csv(allows_csv([r for r in rules if r.policy == ALLOW]), "domain_allows.csv")


def _csv(text: str, name: str) -> web.Response:
    return web.Response(
        text=text,
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@admin_page
async def import_blocks(request: web.Request) -> web.StreamResponse:
    posted = await request.post()
    upload = posted.get("data")
    if not isinstance(upload, web.FileField):
        return done(request, PATH, "Choose a CSV file to import.", error=True)
    data = upload.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        return done(request, PATH, "The file is larger than 2 MiB.", error=True)
    rows, problems = parse_blocks(data.decode("utf-8", errors="replace"))
    conn = connection(request)
    imported = 0
    for row in rows:
        try:
            await do_block_domain_now(
                conn,
                staff(request),
                row.domain,
                severity=row.severity,
                options=BlockOptions(
                    reject_media=row.reject_media,
                    reject_reports=row.reject_reports,
                    public_comment=row.public_comment,
                    obfuscate=row.obfuscate,
                ),
            )
            imported += 1
        except PartnerError as error:
            problems.append(f"line {row.line}: {error}")
    message = f"{imported} blocks imported."
    if problems:
        message += " Skipped: " + "; ".join(problems[:5])
    return done(request, PATH, message, error=bool(problems))


@admin_page
async def dead_letter(request: web.Request) -> web.StreamResponse:
    delivery_id = path_id(request)
    fields = await form(request)
    conn = connection(request)
    if fields.get("action") == "retry":
        ok = await do_retry_dead_letter(conn, staff(request), delivery_id)
        message = "Queued to be sent again." if ok else "That delivery is no longer dead."
    elif fields.get("action") == "discard":
        ok = await do_discard_dead_letter(conn, staff(request), delivery_id)
        message = "Discarded." if ok else "That delivery is no longer dead."
    else:
        raise web.HTTPBadRequest(reason="Unknown action")
    return done(request, PATH + "#dead-letters", message, error=not ok)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, index, name="admin_federation")
    app.router.add_post(PATH, change)
    app.router.add_get(PATH + "/domain_blocks.csv", export_blocks)
    app.router.add_get(PATH + "/domain_allows.csv", export_allows)
    app.router.add_post(PATH + "/import", import_blocks)
    app.router.add_post(PATH + "/dead_letters/{id}", dead_letter)

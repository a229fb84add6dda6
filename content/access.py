"""Who sees what on a members-only node: the one place these rules live. Every read path
(single status, context, profiles, timelines, notifications, search, lists of accounts) asks
here, through `visible_sql` / `account_visible_sql` in queries or `may_see` / `may_see_account`
for one record. Both forms are built from the same small functions of a `Viewer`
(`open_visibilities`, `hides_customers`, `hides_local`), so SQL and Python cannot disagree.

A viewer is an account with a role (`actors.accounts.ROLES`, or `remote` for an account of
another node) and the admins' policy (`actors.node_policy`):

- Employees, moderators and admins are the organisation. They see `public`, `unlisted` and
  `local` (internal) statuses of anyone, `private` ones of accounts they follow, and what
  mentions them (`direct` included).
- Customers see the organisation and the network, not each other: `public` and `unlisted`
  statuses, `private` ones of accounts they follow, what mentions them. Never a `local` post
  (unless `customers_see_local`), and never another customer's profile or posts, in any list
  (unless `customers_see_customers`).
- Remote accounts (an inbox handler asking on their behalf) see as customers of the network
  would: never `local`.
- Anyone always sees themself and their own posts. An author who blocks the viewer hides all
  their statuses from that viewer; deleted statuses are gone for everyone.
- Moderation (`actors.moderation`): a suspended author's statuses are gone for everyone; a
  limited ("silenced") author's are left out of the live feeds (public, hashtag) and shown
  elsewhere only to their followers and to whom they mention, as Mastodon limits accounts.
- Group posts (`content.group_posts`): members of the group (its followers) read them; a
  members-only group's posts are for its members only, whatever else would allow them.

What a viewer may not see is reported as "not found", never "forbidden". Reads by other nodes
(ActivityPub fetches) follow `content.peer_access`, which never serves a `local` post.

The customer restrictions stay index-friendly: "is the author a customer" is one probe of the
unique `users (account_id)` index, and customers' live feeds use the partial indexes of
migration 0014 (`live_visibilities`)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from actors.accounts import Member
from actors.node_policy import NodePolicy, load_policy

VISIBILITIES = ("public", "unlisted", "private", "direct", "local")
# Mastodon orders visibilities from widest to narrowest; a reply or boost may not widen.
_RANK = {"public": 0, "unlisted": 1, "local": 2, "private": 3, "direct": 4}
STAFF_ROLES = ("admin", "moderator", "employee")
REMOTE = "remote"


def narrower(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: an account, its role, and the policy choices that widen a customer's
    view. Built once per request (`viewer_of`) and handed to every read."""

    account_id: int
    role: str
    customers_see_local: bool = False
    customers_see_customers: bool = False

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_organisation(self) -> bool:
        return self.role in STAFF_ROLES


def viewer_of(member: Member, policy: NodePolicy) -> Viewer:
    return Viewer(
        member.account.id,
        member.role,
        customers_see_local=policy.customers_see_local,
        customers_see_customers=policy.customers_see_customers,
    )


async def load_viewer(conn: asyncpg.Connection, account_id: int) -> Viewer:
    """The viewer for an account known only by id (fan-out, inbox handlers): its role when it
    is a local member, else `remote`."""
    role = await conn.fetchval("SELECT role FROM users WHERE account_id = $1", account_id)
    if role is None:
        return Viewer(account_id, REMOTE)
    policy = await load_policy(conn)
    return Viewer(
        account_id,
        role,
        customers_see_local=policy.customers_see_local,
        customers_see_customers=policy.customers_see_customers,
    )


# -- the rules, once --------------------------------------------------------------------------


def hides_local(viewer: Viewer) -> bool:
    """`local` (internal) posts are for the organisation, and for customers when allowed."""
    if viewer.is_organisation:
        return False
    return not (viewer.is_customer and viewer.customers_see_local)


def hides_customers(viewer: Viewer) -> bool:
    """Customers do not see each other unless the admins allow it."""
    return viewer.is_customer and not viewer.customers_see_customers


def open_visibilities(viewer: Viewer) -> tuple[str, ...]:
    """Visibilities the viewer may read without following or being mentioned."""
    return ("public", "unlisted") if hides_local(viewer) else ("public", "unlisted", "local")


def live_visibilities(viewer: Viewer) -> tuple[str, ...]:
    """What the live feeds (public and hashtag timelines) show this viewer. Each answer matches
    a partial index's predicate (migrations 0005 and 0014)."""
    return ("public",) if hides_local(viewer) else ("public", "local")


def _in(values: tuple[str, ...]) -> str:
    # The values are this module's own constants, never input.
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def live_sql(alias: str, viewer: Viewer) -> str:
    """The live feeds' condition: the visibilities, and no limited or suspended author."""
    return f"""{alias}.visibility IN {_in(live_visibilities(viewer))}
        AND NOT EXISTS (SELECT 1 FROM accounts la WHERE la.id = {alias}.account_id
                        AND (la.silenced_at IS NOT NULL OR la.suspended_at IS NOT NULL))"""


def moderated_author_sql(alias: str, param: str) -> str:
    """True when moderation hides the status `alias` from the viewer `param`: its author is
    suspended, or limited and neither followed by the viewer nor mentioning them. One probe of
    the accounts' primary key per status."""
    return f"""EXISTS (
        SELECT 1 FROM accounts va WHERE va.id = {alias}.account_id AND va.id <> {param}
          AND (va.suspended_at IS NOT NULL
               OR (va.silenced_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM follows vsf WHERE vsf.account_id = {param}
                                   AND vsf.target_account_id = va.id)
                   AND NOT EXISTS (SELECT 1 FROM mentions vsm WHERE vsm.status_id = {alias}.id
                                   AND vsm.account_id = {param}))))"""


def customer_sql(account: str) -> str:
    """True when the account (a column or `$n`) is a local customer: one probe of the unique
    index on `users (account_id)`."""
    return (
        f"EXISTS (SELECT 1 FROM users vu WHERE vu.account_id = {account} AND vu.role = 'customer')"
    )


def account_visible_sql(account: str, param: str, viewer: Viewer) -> str:
    """A SQL condition true when the viewer (account id in `param`) may see the account whose
    id is `account` (a column or parameter)."""
    if not hides_customers(viewer):
        # Always true, yet it names the parameter, so a query's arguments stay the same.
        return f"({param}::bigint IS NOT NULL)"
    return f"({account} = {param} OR NOT {customer_sql(account)})"


def _group_member_sql(alias: str, param: str) -> str:
    """The viewer follows a group the status was posted to: members read the group's posts
    whatever their addressing (on the group's node and on members' nodes alike)."""
    return f"""EXISTS (
                SELECT 1 FROM status_groups vg
                JOIN follows vgf ON vgf.target_account_id = vg.group_id
                WHERE vg.status_id = {alias}.id AND vgf.account_id = {param})"""


def visible_sql(alias: str, param: str, viewer: Viewer) -> str:
    """A SQL condition true when the status `alias` is visible to the viewer, whose account id
    is the `$n` parameter (or column) `param`. Boosts are checked through their own row; the
    callers check the original too."""
    restrictions = []
    if hides_local(viewer):
        restrictions.append(f"({alias}.visibility <> 'local' OR {alias}.account_id = {param})")
    if hides_customers(viewer):
        restrictions.append(account_visible_sql(f"{alias}.account_id", param, viewer))
    return f"""(
        {alias}.deleted_at IS NULL
        AND (
            {alias}.visibility IN {_in(open_visibilities(viewer))}
            OR {alias}.account_id = {param}
            OR ({alias}.visibility = 'private' AND EXISTS (
                SELECT 1 FROM follows vf
                WHERE vf.account_id = {param} AND vf.target_account_id = {alias}.account_id))
            OR EXISTS (
                SELECT 1 FROM mentions vm
                WHERE vm.status_id = {alias}.id AND vm.account_id = {param})
            OR {_group_member_sql(alias, param)}
        )
        AND NOT EXISTS (
            SELECT 1 FROM blocks vb
            WHERE vb.account_id = {alias}.account_id AND vb.target_account_id = {param})
        AND NOT {moderated_author_sql(alias, param)}
        AND ({alias}.account_id = {param} OR NOT EXISTS (
            SELECT 1 FROM status_groups vg
            WHERE vg.status_id = {alias}.id AND vg.members_only AND NOT EXISTS (
                SELECT 1 FROM follows vgf
                WHERE vgf.account_id = {param} AND vgf.target_account_id = vg.group_id)))
        {"".join(" AND " + r for r in restrictions)}
    )"""


def boost_visible_sql(alias: str, param: str, viewer: Viewer) -> str:
    """For a boost `alias`: its original exists and is visible too (true for a non-boost)."""
    return f"""({alias}.reblog_of_id IS NULL OR EXISTS (
        SELECT 1 FROM statuses vo WHERE vo.id = {alias}.reblog_of_id
          AND {visible_sql("vo", param, viewer)}))"""


def peer_hidden_roles(policy: NodePolicy) -> tuple[str, ...]:
    """Local members another node's collection pages (followers, following) leave out. A
    customer's actor document stays fetchable by allowed nodes, since federation needs it (to
    verify their signatures, to accept their follows); but who the organisation's customers
    are is not listed to other nodes unless customers may see each other here too."""
    return () if policy.customers_see_customers else ("customer",)


# -- one record -------------------------------------------------------------------------------


async def may_see(conn: asyncpg.Connection, viewer: Viewer, status_id: int) -> bool:
    """True when the viewer may see the status (and, for a boost, the boosted status)."""
    visible: bool | None = await conn.fetchval(
        f"""SELECT {visible_sql("s", "$1", viewer)} AND {boost_visible_sql("s", "$1", viewer)}
            FROM statuses s WHERE s.id = $2""",
        viewer.account_id,
        status_id,
    )
    return bool(visible)


async def visible_accounts(
    conn: asyncpg.Connection, viewer: Viewer, account_ids: list[int]
) -> set[int]:
    """Which of the accounts the viewer may see (existence, suspension and the instance actor
    are for `actors.account_lookup`; this is only the role rule)."""
    if not hides_customers(viewer):
        return set(account_ids)
    rows = await conn.fetch(
        f"""SELECT a.id FROM unnest($2::bigint[]) AS a (id)
            WHERE {account_visible_sql("a.id", "$1", viewer)}""",
        viewer.account_id,
        list(account_ids),
    )
    return {row["id"] for row in rows}


async def may_see_account(conn: asyncpg.Connection, viewer: Viewer, account_id: int) -> bool:
    return account_id in await visible_accounts(conn, viewer, [account_id])

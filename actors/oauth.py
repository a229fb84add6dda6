"""OAuth 2 clients, authorization codes and the tokens issued for them (RFC 6749, RFC 7636).

Client secrets, codes and tokens are 256-bit random values stored only as SHA-256 hashes (see
`actors.credentials`); their plain values are handed out once. Failures raise `OAuthError`
with RFC 6749's error codes, which the web layer turns into §5.2 error responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import asyncpg

from actors.credentials import check_scopes, digest, new_secret
from actors.scopes import ScopeError, parse_scopes, subset

OOB = "urn:ietf:wg:oauth:2.0:oob"  # show the code on a page instead of redirecting
CODE_LIFETIME_MINUTES = 10
MAX_NAME_LENGTH = 60
MAX_URI_LENGTH = 2000
MAX_REDIRECT_URIS = 20
# Schemes a browser would run or read locally instead of handing to an app.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


class ApplicationError(ValueError):
    """An app registration was refused; the message completes Mastodon's `Validation failed: `."""


class OAuthError(Exception):
    """A refused OAuth request: `error` is RFC 6749's code, `description` a sentence for people."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."


@dataclass(frozen=True, slots=True)
class Application:
    id: int
    name: str
    website: str | None
    redirect_uris: tuple[str, ...]
    scopes: str
    client_id: str
    vapid_key: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: the plain value exists only here."""

    access_token: str
    scopes: str
    created_at: datetime


_APP_COLUMNS = "id, name, website, redirect_uris, scopes, client_id, vapid_key, created_at"


def _application(row: asyncpg.Record) -> Application:
    return Application(
        id=row["id"],
        name=row["name"],
        website=row["website"],
        redirect_uris=tuple(row["redirect_uris"]),
        scopes=row["scopes"],
        client_id=row["client_id"],
        vapid_key=row["vapid_key"],
        created_at=row["created_at"],
    )


# -- registering apps ------------------------------------------------------------------------


def check_redirect_uri(uri: str) -> str:
    """An absolute URI without a fragment (RFC 6749 §3.1.2), or the out-of-band marker. Custom
    schemes are allowed: mobile apps register `myapp://callback`."""
    if uri == OOB:
        return uri
    if len(uri) > MAX_URI_LENGTH:
        raise ApplicationError(f"Redirect URI is too long (maximum is {MAX_URI_LENGTH} characters)")
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in uri):
        raise ApplicationError("Redirect URI must be an absolute URI.")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise ApplicationError("Redirect URI must be an absolute URI.") from None
    if not parts.scheme or not _SCHEME.match(parts.scheme) or not (parts.netloc or parts.path):
        raise ApplicationError("Redirect URI must be an absolute URI.")
    if parts.scheme.lower() in _FORBIDDEN_SCHEMES:
        raise ApplicationError("Redirect URI is forbidden by the server.")
    if "#" in uri:
        raise ApplicationError("Redirect URI cannot contain a fragment.")
    if parts.scheme.lower() in {"http", "https"} and not parts.hostname:
        raise ApplicationError("Redirect URI must be an absolute URI.")
    return uri


def check_website(website: str | None) -> str | None:
    if not website:
        return None
    parts = urlsplit(website) if len(website) <= MAX_URI_LENGTH else None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise ApplicationError("Website is not a valid URL")
    return website


def check_new_application(
    name: str | None, redirect_uris: list[str], scopes: str | None, website: str | None
) -> tuple[str, tuple[str, ...], str, str | None]:
    """Validate a registration; returns the normalised (name, redirect URIs, scopes, website)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Name can't be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise ApplicationError(f"Name is too long (maximum is {MAX_NAME_LENGTH} characters)")
    uris = tuple(dict.fromkeys(uri for uri in redirect_uris if uri))
    if not uris:
        raise ApplicationError("Redirect URI can't be blank")
    if len(uris) > MAX_REDIRECT_URIS:
        raise ApplicationError(f"Redirect URI: at most {MAX_REDIRECT_URIS} may be registered")
    for uri in uris:
        check_redirect_uri(uri)
    try:
        normalised = parse_scopes(scopes or "", default="read")
    except ScopeError as error:
        raise ApplicationError(f"Scopes are invalid: {error}") from None
    return name, uris, normalised, check_website(website)


async def do_create_application(
    conn: asyncpg.Connection,
    name: str | None,
    redirect_uris: list[str],
    scopes: str | None,
    website: str | None,
) -> tuple[Application, str]:
    """Register a client; returns it with its plain secret (shown once, stored hashed)."""
    name, uris, scopes, website = check_new_application(name, redirect_uris, scopes, website)
    secret = new_secret()
    row = await conn.fetchrow(
        f"""INSERT INTO oauth_applications
                (name, website, redirect_uris, scopes, client_id, client_secret_hash)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING {_APP_COLUMNS}""",
        name,
        website,
        list(uris),
        scopes,
        new_secret(),
        digest(secret),
    )
    return _application(row), secret


async def get_application(conn: asyncpg.Connection, application_id: int) -> Application | None:
    row = await conn.fetchrow(
        f"SELECT {_APP_COLUMNS} FROM oauth_applications WHERE id = $1", application_id
    )
    return _application(row) if row else None


async def find_application(conn: asyncpg.Connection, client_id: str) -> Application | None:
    """A client by its public id (for the authorization page, which has no secret)."""
    if not client_id or len(client_id) > 256:
        return None
    row = await conn.fetchrow(
        f"SELECT {_APP_COLUMNS} FROM oauth_applications WHERE client_id = $1", client_id
    )
    return _application(row) if row else None


async def authenticate_client(
    conn: asyncpg.Connection, client_id: str, client_secret: str
) -> Application | None:
    """The client these credentials belong to, or None."""
    if not client_secret or len(client_secret) > 256:
        return None
    row = await conn.fetchrow(
        f"""SELECT {_APP_COLUMNS}, client_secret_hash FROM oauth_applications
            WHERE client_id = $1""",
        client_id[:256],
    )
    if row is None or not hmac.compare_digest(
        bytes(row["client_secret_hash"]), digest(client_secret)
    ):
        return None
    return _application(row)


def check_requested_scopes(application: Application, requested: str | None) -> str:
    """The scopes asked for (default `read`), normalised; each must be among the app's."""
    try:
        scopes = parse_scopes(requested or "", default="read")
    except ScopeError:
        raise OAuthError("invalid_scope", INVALID_SCOPE) from None
    if not subset(scopes, application.scopes):
        raise OAuthError("invalid_scope", INVALID_SCOPE)
    return scopes


# -- tokens ----------------------------------------------------------------------------------


async def do_issue_token(
    conn: asyncpg.Connection, application_id: int, user_id: int | None, scopes: str
) -> tuple[int, IssuedToken]:
    """Issue a bearer token (no user: a client-credentials app token); returns its row id too."""
    token = new_secret()
    row = await conn.fetchrow(
        """INSERT INTO oauth_tokens (token_hash, user_id, application_id, scopes)
           VALUES ($1, $2, $3, $4) RETURNING id, scopes, created_at""",
        digest(token),
        user_id,
        application_id,
        check_scopes(scopes),
    )
    return row["id"], IssuedToken(token, row["scopes"], row["created_at"])


async def do_revoke_token(conn: asyncpg.Connection, application_id: int, token: str) -> bool:
    """Revoke a token this client was issued. Another client's token is left alone (RFC 7009
    §2.1): whether it exists is none of the caller's business. True when one was revoked."""
    if len(token) > 256:
        return False
    revoked = await conn.fetchval(
        """UPDATE oauth_tokens SET revoked_at = now()
           WHERE token_hash = $1 AND application_id = $2 AND revoked_at IS NULL
           RETURNING id""",
        digest(token),
        application_id,
    )
    return revoked is not None


# -- authorization codes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """What a member approved on the consent page."""

    application_id: int
    user_id: int
    redirect_uri: str
    scopes: str
    code_challenge: str | None


def check_code_challenge(challenge: str | None, method: str | None) -> str | None:
    """PKCE (RFC 7636): only S256, as Mastodon; `plain` would let a code thief use the code."""
    if not challenge:
        if method:
            raise OAuthError("invalid_request", "code_challenge is missing.")
        return None
    if (method or "plain") != "S256":
        raise OAuthError("invalid_request", "The code challenge method must be S256.")
    if not re.fullmatch(r"[A-Za-z0-9_-]{43}", challenge):
        raise OAuthError("invalid_request", "The code challenge is malformed.")
    return challenge


def s256(verifier: str) -> str:
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode("ascii")


async def do_create_authorization_code(conn: asyncpg.Connection, request: CodeRequest) -> str:
    """A single-use code valid for ten minutes; only its hash is stored."""
    code = new_secret()
    async with conn.transaction():
        # Old codes are kept a day past expiry so a late replay is still recognised as one.
        await conn.execute(
            "DELETE FROM oauth_authorization_codes WHERE expires_at < now() - interval '1 day'"
        )
        await conn.execute(
            """INSERT INTO oauth_authorization_codes
                   (code_hash, application_id, user_id, redirect_uri, scopes,
                    code_challenge, code_challenge_method, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(mins => $8))""",
            digest(code),
            request.application_id,
            request.user_id,
            request.redirect_uri,
            request.scopes,
            request.code_challenge,
            "S256" if request.code_challenge else None,
            CODE_LIFETIME_MINUTES,
        )
    return code


def _verify_pkce(challenge: str | None, verifier: str | None) -> bool:
    if challenge is None:
        return not verifier  # a verifier for a code issued without a challenge is a mix-up
    if not verifier or not _VERIFIER.match(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)


async def do_redeem_authorization_code(
    conn: asyncpg.Connection,
    application: Application,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> IssuedToken:
    """Exchange a code for a token, once. A code presented again is refused, and the token it
    already bought is revoked (RFC 6749 §4.1.2): one of the two callers stole it."""
    if not code or len(code) > 256:
        raise OAuthError("invalid_grant", INVALID_GRANT)
    replayed = False
    async with conn.transaction():
        row = await conn.fetchrow(
            """SELECT application_id, user_id, redirect_uri, scopes, code_challenge,
                      expires_at < now() AS expired, used_at, token_id
               FROM oauth_authorization_codes WHERE code_hash = $1 FOR UPDATE""",
            digest(code),
        )
        if row is None or row["application_id"] != application.id:
            raise OAuthError("invalid_grant", INVALID_GRANT)
        if row["used_at"] is not None:
            replayed = True
            await conn.execute(
                "UPDATE oauth_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                row["token_id"],
            )
        else:
            if row["expired"] or redirect_uri != row["redirect_uri"]:
                raise OAuthError("invalid_grant", INVALID_GRANT)
            if not _verify_pkce(row["code_challenge"], code_verifier):
                raise OAuthError("invalid_grant", INVALID_GRANT)
            token_id, issued = await do_issue_token(
                conn, application.id, row["user_id"], row["scopes"]
            )
            await conn.execute(
                """UPDATE oauth_authorization_codes SET used_at = now(), token_id = $2
                   WHERE code_hash = $1""",
                digest(code),
                token_id,
            )
    if replayed:  # raised after commit, so the revocation stands
        raise OAuthError("invalid_grant", INVALID_GRANT)
    return issued

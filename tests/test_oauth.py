"""OAuth 2 as apps use it: registering through Mastodon.py, a member approving the app in the
browser (sign-in and consent pages followed with `requests`), codes with and without PKCE, the
password and client-credentials grants, revocation, discovery and user info.

The node here is named by its real loopback address (`http://127.0.0.1:PORT`): Mastodon.py
follows the endpoints the OAuth metadata names, and the browser keeps non-Secure cookies."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonIllegalArgumentError

from actors.accounts import Member, do_set_disabled
from actors.credentials import digest
from tests.live import PASSWORD, LiveNode

CALLBACK = "https://app.example/callback"
OOB = "urn:ietf:wg:oauth:2.0:oob"
SCOPES = ["read", "write", "follow", "push"]
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[LiveNode]:
    started = LiveNode(database_url, tmp_path / "media", domain=None).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def alice(node: LiveNode) -> Member:
    return node.member("alice", email="alice@example.com")


def app_client(node: LiveNode, **options: Any) -> Mastodon:
    """Mastodon.py as an app runs it: checking the node's version before anything else."""
    return Mastodon(api_base_url=node.base_url, version_check_mode="created", **options)


def register(
    node: LiveNode, scopes: list[str] = SCOPES, redirect_uris: list[str] | None = None
) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Test App",
        scopes=scopes,
        redirect_uris=redirect_uris or [CALLBACK, OOB],
        website="https://app.example",
        api_base_url=node.base_url,
    )
    return app_client(node, client_id=client_id, client_secret=client_secret)


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def sign_in(browser: requests.Session, page: requests.Response, login: str) -> requests.Response:
    """Fill in the sign-in form `page` shows; follows the redirect back."""
    assert urlsplit(page.url).path == "/auth/sign_in", page.url
    form = hidden_fields(page.text)
    form.update(login=login, password=PASSWORD)
    return browser.post(urlsplit(page.url)._replace(query="").geturl(), data=form)


def consent(
    browser: requests.Session, url: str, login: str | None = "alice", decision: str = "authorize"
) -> requests.Response:
    """A member opens the authorization URL, signs in if asked, and answers the consent page.
    Returns the answer's response, not followed."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    if login is not None and urlsplit(page.url).path == "/auth/sign_in":
        page = sign_in(browser, page, login)
    assert page.status_code == 200, page.text
    assert urlsplit(page.url).path.rstrip("/") == "/oauth/authorize"
    form = hidden_fields(page.text)
    form["decision"] = decision
    return browser.post(page.url.split("?")[0], data=form, allow_redirects=False)


def code_from(answer: requests.Response, redirect_uri: str = CALLBACK) -> dict[str, list[str]]:
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri + "?")
    return parse_qs(urlsplit(location).query)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def post_token(node: LiveNode, **fields: Any) -> requests.Response:
    return requests.post(f"{node.base_url}/oauth/token", data=fields, timeout=30)


def api_get(node: LiveNode, path: str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{node.base_url}{path}", headers=headers, timeout=30)


def oauth_error(response: requests.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == error
    assert body["error_description"]
    return body


# --- registering apps ---


def test_create_app_answers_a_credential_application(node: LiveNode) -> None:
    response = requests.post(
        f"{node.base_url}/api/v1/apps",
        json={  # masto.js and megalodon send JSON, redirect URIs as an array
            "client_name": "Phanpy",
            "redirect_uris": [CALLBACK, "app.example.ios:/oauth"],
            "scopes": "read write push",
            "website": "https://phanpy.example",
        },
        timeout=30,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Phanpy"
    assert body["website"] == "https://phanpy.example"
    assert body["scopes"] == ["read", "write", "push"]
    assert body["redirect_uris"] == [CALLBACK, "app.example.ios:/oauth"]
    assert body["redirect_uri"] == f"{CALLBACK}\napp.example.ios:/oauth"
    assert body["client_secret_expires_at"] == 0
    assert body["vapid_key"] == ""
    assert body["id"].isdigit()
    assert len(body["client_id"]) >= 40 and len(body["client_secret"]) >= 40

    # The secret is stored only as its hash.
    stored = node.with_conn(
        lambda conn: conn.fetchrow(
            "SELECT client_secret_hash, scopes FROM oauth_applications WHERE client_id = $1",
            body["client_id"],
        )
    )
    assert bytes(stored["client_secret_hash"]) == digest(body["client_secret"])
    assert stored["scopes"] == "read write push"


def test_create_app_from_a_form_with_newline_separated_uris_and_default_scope(
    node: LiveNode,
) -> None:
    response = requests.post(
        f"{node.base_url}/api/v1/apps/",
        data={"client_name": "toot", "redirect_uris": f"{CALLBACK}\n{OOB}"},
        timeout=30,
    )

    assert response.status_code == 200, response.text
    assert response.json()["redirect_uris"] == [CALLBACK, OOB]
    assert response.json()["scopes"] == ["read"]
    assert response.json()["website"] is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"redirect_uris": CALLBACK}, "Name can't be blank"),
        ({"client_name": "x"}, "Redirect URI can't be blank"),
        ({"client_name": "x", "redirect_uris": "/callback"}, "must be an absolute URI"),
        ({"client_name": "x", "redirect_uris": "javascript:alert(1)"}, "forbidden"),
        ({"client_name": "x", "redirect_uris": f"{CALLBACK}#top"}, "fragment"),
        ({"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read everything"}, "Scopes"),
        ({"client_name": "x", "redirect_uris": CALLBACK, "website": "ftp://x.example"}, "Website"),
        ({"client_name": "x" * 61, "redirect_uris": CALLBACK}, "too long"),
    ],
)
def test_create_app_refuses_bad_registrations(
    node: LiveNode, fields: dict[str, str], message: str
) -> None:
    response = requests.post(f"{node.base_url}/api/v1/apps", data=fields, timeout=30)

    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed: ")
    assert message in response.json()["error"]


# --- the authorization code flow ---


def test_code_flow_through_mastodon_py_and_the_browser(node: LiveNode, alice: Member) -> None:
    # Given an app registered through Mastodon.py
    app = register(node)
    url = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=SCOPES, state="s-123", allow_http=True
    )
    assert url.startswith(f"{node.base_url}/oauth/authorize?")

    # When alice, not yet signed in, opens the URL she is sent to sign in first
    browser = requests.Session()
    first = browser.get(url, allow_redirects=False)
    assert first.status_code == 302
    location = urlsplit(first.headers["Location"])
    assert location.path == "/auth/sign_in"
    assert parse_qs(location.query)["next"][0].startswith("/oauth/authorize?")

    # ... and after signing in and approving, goes back to the app with a code and the state
    answer = consent(browser, url)
    query = code_from(answer)
    assert query["state"] == ["s-123"]
    token = app.log_in(code=query["code"][0], redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)

    # Then the token acts for alice
    member_app = app_client(node, access_token=token)
    assert member_app.preferences()["posting:default:visibility"] == "public"
    assert member_app.app_verify_credentials()["name"] == "Test App"
    info = api_get(node, "/oauth/userinfo", token).json()
    assert info["preferred_username"] == "alice"
    # Only a hash of the token is kept, and codes are stored hashed too.
    hashes = node.with_conn(lambda conn: conn.fetch("SELECT token_hash FROM oauth_tokens"))
    assert [bytes(row["token_hash"]) for row in hashes] == [digest(token)]
    codes = node.with_conn(
        lambda conn: conn.fetch("SELECT code_hash FROM oauth_authorization_codes")
    )
    assert [bytes(row["code_hash"]) for row in codes] == [digest(query["code"][0])]


def test_consent_page_names_the_app_and_the_scopes(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=["read", "write:statuses"], allow_http=True
    )
    browser = requests.Session()
    page = sign_in(browser, browser.get(url), "alice")

    assert page.status_code == 200
    assert "Test App" in page.text
    assert "write:statuses" in page.text and "Change your statuses" in page.text
    assert 'value="authorize"' in page.text and 'value="deny"' in page.text
    assert hidden_fields(page.text)["scope"] == "read write:statuses"
    # Chrome applies form-action to the redirect after the POST: the app's origin is allowed.
    assert "form-action 'self' https://app.example;" in page.headers["Content-Security-Policy"]


def test_pkce_code_needs_the_right_verifier(node: LiveNode, alice: Member) -> None:
    app = register(node)
    verifier, challenge = pkce_pair()
    # Mastodon.py 2.3 has no PKCE parameters: add them to the URL it builds.
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    url += "&" + urlencode({"code_challenge": challenge, "code_challenge_method": "S256"})
    code = code_from(consent(requests.Session(), url))["code"][0]
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }

    oauth_error(post_token(node, **fields), 400, "invalid_grant")  # no verifier
    wrong, _ = pkce_pair()
    oauth_error(post_token(node, **fields, code_verifier=wrong), 400, "invalid_grant")
    # Mastodon.py cannot send a verifier, so it cannot use the code either.
    with pytest.raises(MastodonIllegalArgumentError):
        app.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)

    answer = post_token(node, **fields, code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write follow push"
    assert isinstance(body["created_at"], int)
    assert answer.headers["Cache-Control"] == "no-store"
    assert app_client(node, access_token=body["access_token"]).preferences()


def test_plain_pkce_is_refused_back_to_the_app(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, state="st", allow_http=True)
    url += "&" + urlencode({"code_challenge": "x" * 43, "code_challenge_method": "plain"})

    answer = requests.get(url, allow_redirects=False, timeout=30)

    query = code_from(answer)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == ["st"]
    assert "code" not in query


def test_a_code_works_once_and_a_replay_revokes_its_token(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    code = code_from(consent(requests.Session(), url))["code"][0]
    token = app.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert api_get(node, "/api/v1/preferences", token).status_code == 200

    replay = post_token(
        node,
        grant_type="authorization_code",
        code=code,
        redirect_uri=CALLBACK,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )

    oauth_error(replay, 400, "invalid_grant")
    revoked = api_get(node, "/api/v1/preferences", token)
    assert revoked.status_code == 401
    assert revoked.json() == {"error": "The access token is invalid"}


def test_a_code_expires_after_ten_minutes(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    code = code_from(consent(requests.Session(), url))["code"][0]
    lifetime = node.with_conn(
        lambda conn: conn.fetchval(
            "SELECT expires_at - created_at FROM oauth_authorization_codes WHERE code_hash = $1",
            digest(code),
        )
    )
    assert lifetime.total_seconds() == 600
    node.with_conn(
        lambda conn: conn.execute(
            "UPDATE oauth_authorization_codes SET expires_at = now() - interval '1 second'"
        )
    )

    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        app.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)


def test_the_redirect_uri_must_match_the_codes(node: LiveNode, alice: Member) -> None:
    app = register(node, redirect_uris=[CALLBACK, "https://app.example/other"])
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    code = code_from(consent(requests.Session(), url))["code"][0]

    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        app.log_in(
            code=code, redirect_uri="https://app.example/other", scopes=SCOPES, allow_http=True
        )


def test_another_clients_code_is_refused(node: LiveNode, alice: Member) -> None:
    first, second = register(node), register(node)
    url = first.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    code = code_from(consent(requests.Session(), url))["code"][0]

    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        second.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert first.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)


def test_denying_sends_access_denied_back(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=SCOPES, state="keep-me", allow_http=True
    )

    query = code_from(consent(requests.Session(), url, decision="deny"))

    assert query["error"] == ["access_denied"]
    assert query["state"] == ["keep-me"]
    assert "code" not in query
    assert (
        node.with_conn(lambda conn: conn.fetchval("SELECT count(*) FROM oauth_authorization_codes"))
        == 0
    )


def test_out_of_band_shows_the_code_on_a_page(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(scopes=SCOPES, allow_http=True)  # Mastodon.py's default: OOB

    answer = consent(requests.Session(), url)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    code = re.search(r'id="authorization-code" value="([^"]+)"', answer.text)
    assert code is not None
    token = app.log_in(code=code.group(1), scopes=SCOPES, allow_http=True)
    assert app_client(node, access_token=token).preferences()


def test_denying_out_of_band_says_so_on_a_page(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(scopes=SCOPES, allow_http=True)

    answer = consent(requests.Session(), url, decision="deny")

    assert answer.status_code == 200
    assert "Authorization denied" in answer.text
    assert 'id="authorization-code"' not in answer.text


def test_the_consent_form_needs_its_csrf_token(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    browser = requests.Session()
    page = sign_in(browser, browser.get(url), "alice")
    form = hidden_fields(page.text) | {"decision": "authorize", "authenticity_token": "forged"}

    answer = browser.post(f"{node.base_url}/oauth/authorize", data=form, allow_redirects=False)

    assert answer.status_code == 403
    assert "Location" not in answer.headers


def test_force_login_signs_out_and_asks_again(node: LiveNode, alice: Member) -> None:
    node.member("bob")
    app = register(node)
    browser = requests.Session()
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    code_from(consent(browser, url))  # alice is now signed in in this browser
    alice_cookie = str(browser.cookies["rukun_session"])

    forced = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=SCOPES, force_login=True, allow_http=True
    )
    answer = browser.get(forced, allow_redirects=False)
    assert answer.status_code == 302
    assert urlsplit(answer.headers["Location"]).path == "/auth/sign_in"
    assert "force_login" not in parse_qs(urlsplit(answer.headers["Location"]).query)["next"][0]
    assert "rukun_session" not in browser.cookies
    stale = requests.get(f"{node.base_url}/", cookies={"rukun_session": alice_cookie}, timeout=30)
    assert urlsplit(stale.url).path == "/auth/sign_in"  # alice's session is over

    code = code_from(consent(browser, forced, login="bob"))["code"][0]
    token = app.log_in(code=code, redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True)
    assert api_get(node, "/oauth/userinfo", token).json()["preferred_username"] == "bob"


def test_unknown_client_gets_an_error_page_not_a_redirect(node: LiveNode) -> None:
    query = urlencode({"response_type": "code", "client_id": "nope", "redirect_uri": CALLBACK})

    answer = requests.get(
        f"{node.base_url}/oauth/authorize?{query}", allow_redirects=False, timeout=30
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "unknown client" in answer.text


def test_a_missing_redirect_uri_gets_an_error_page(node: LiveNode) -> None:
    app = register(node, redirect_uris=[CALLBACK])
    query = urlencode({"response_type": "code", "client_id": app.client_id})

    answer = requests.get(
        f"{node.base_url}/oauth/authorize?{query}", allow_redirects=False, timeout=30
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_unregistered_redirect_uri_gets_an_error_page(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(
        redirect_uris="https://evil.example/steal", scopes=SCOPES, allow_http=True
    )

    answer = requests.get(url, allow_redirects=False, timeout=30)

    assert answer.status_code == 400
    assert "Location" not in answer.headers
    assert "not registered" in html.unescape(answer.text)


def test_scopes_beyond_the_apps_are_refused(node: LiveNode, alice: Member) -> None:
    app = register(node, scopes=["read"])
    url = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=["read", "write"], state="z", allow_http=True
    )

    query = code_from(requests.get(url, allow_redirects=False, timeout=30))

    assert query["error"] == ["invalid_scope"]
    assert query["state"] == ["z"]
    # Granular scopes within a registered top-level scope are fine.
    narrower = app.auth_request_url(
        redirect_uris=CALLBACK, scopes=["read:statuses"], allow_http=True
    )
    query = code_from(consent(requests.Session(), narrower))
    assert "code" in query


def test_the_authorize_path_answers_with_a_trailing_slash(node: LiveNode, alice: Member) -> None:
    app = register(node)
    url = app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    slashed = url.replace("/oauth/authorize?", "/oauth/authorize/?")  # as toot opens it

    assert "code" in code_from(consent(requests.Session(), slashed))


# --- the token endpoint's other grants and errors ---


def test_password_grant_by_username_or_email(node: LiveNode, alice: Member) -> None:
    app = register(node)

    by_email = app.log_in("alice@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
    by_name = app.log_in("alice", PASSWORD, scopes=SCOPES, allow_http=True)

    for token in (by_email, by_name):
        assert api_get(node, "/oauth/userinfo", token).json()["preferred_username"] == "alice"
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):
        app.log_in("alice", "wrong password", scopes=SCOPES, allow_http=True)


def test_password_grant_refuses_disabled_members(node: LiveNode, alice: Member) -> None:
    app = register(node)
    node.with_conn(lambda conn: do_set_disabled(conn, "alice", True))

    answer = post_token(
        node,
        grant_type="password",
        username="alice",
        password=PASSWORD,
        client_id=app.client_id,
        client_secret=app.client_secret,
    )

    oauth_error(answer, 400, "invalid_grant")


def test_password_grant_can_be_switched_off(database_url: str, tmp_path: Path) -> None:
    node = LiveNode(database_url, tmp_path / "media", domain=None, password_grant=False).start()
    try:
        node.member("alice")
        app = register(node)
        metadata = requests.get(
            f"{node.base_url}/.well-known/oauth-authorization-server", timeout=30
        ).json()
        assert "password" not in metadata["grant_types_supported"]
        # Mastodon.py reads the metadata and does not even try.
        with pytest.raises(MastodonIllegalArgumentError, match="Password flow"):
            app.log_in("alice", PASSWORD, scopes=SCOPES, allow_http=True)

        answer = post_token(
            node,
            grant_type="password",
            username="alice",
            password=PASSWORD,
            client_id=app.client_id,
            client_secret=app.client_secret,
        )
        oauth_error(answer, 400, "unsupported_grant_type")
    finally:
        node.stop()


def test_client_credentials_give_an_app_token(node: LiveNode, alice: Member) -> None:
    app = register(node, scopes=["read", "write"])
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()

    answer = requests.post(
        f"{node.base_url}/oauth/token",
        json={"grant_type": "client_credentials", "scope": "read", "extra": {"ignored": True}},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert answer.json()["scope"] == "read"
    app_only = app_client(node, access_token=token)
    verified = app_only.app_verify_credentials()
    assert verified["name"] == "Test App"
    assert verified["scopes"] == ["read", "write"]
    assert "client_secret" not in verified
    # An app token acts for nobody.
    member_only = api_get(node, "/api/v1/preferences", token)
    assert member_only.status_code == 422
    assert member_only.json() == {"error": "This method requires an authenticated user"}
    too_wide = post_token(
        node,
        grant_type="client_credentials",
        scope="follow",
        client_id=app.client_id,
        client_secret=app.client_secret,
    )
    oauth_error(too_wide, 400, "invalid_scope")


def test_wrong_client_credentials_are_401(node: LiveNode, alice: Member) -> None:
    app = register(node)
    wrong = base64.b64encode(f"{app.client_id}:nope".encode()).decode()

    in_body = post_token(
        node, grant_type="client_credentials", client_id=app.client_id, client_secret="nope"
    )
    in_header = requests.post(
        f"{node.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {wrong}"},
        timeout=30,
    )
    no_client = post_token(node, grant_type="client_credentials")

    oauth_error(in_body, 401, "invalid_client")
    oauth_error(in_header, 401, "invalid_client")
    assert in_header.headers["WWW-Authenticate"].startswith("Basic")
    oauth_error(no_client, 401, "invalid_client")
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_client"):
        app_client(node, client_id=app.client_id, client_secret="nope").log_in(
            "alice", PASSWORD, scopes=SCOPES, allow_http=True
        )


def test_token_endpoint_refuses_malformed_requests(node: LiveNode) -> None:
    app = register(node)
    client = {"client_id": app.client_id, "client_secret": app.client_secret}

    oauth_error(post_token(node, **client), 400, "invalid_request")
    oauth_error(
        post_token(node, grant_type="refresh_token", **client), 400, "unsupported_grant_type"
    )
    missing_code = post_token(
        node, grant_type="authorization_code", redirect_uri=CALLBACK, **client
    )
    assert "code" in oauth_error(missing_code, 400, "invalid_request")["error_description"]
    unknown_code = post_token(
        node, grant_type="authorization_code", code="nope", redirect_uri=CALLBACK, **client
    )
    oauth_error(unknown_code, 400, "invalid_grant")
    wrong_type = requests.post(
        f"{node.base_url}/oauth/token", json={"grant_type": ["password"]}, timeout=30
    )
    oauth_error(wrong_type, 400, "invalid_request")


# --- revoking ---


def test_revoked_tokens_answer_401(node: LiveNode, alice: Member) -> None:
    app = register(node)
    token = app.log_in("alice", PASSWORD, scopes=SCOPES, allow_http=True)
    assert app.preferences()

    app.revoke_access_token(allow_http=True)

    assert api_get(node, "/api/v1/preferences", token).status_code == 401
    with pytest.raises(MastodonAPIError):
        app_client(node, access_token=token).preferences()
    # Revoking again is still fine (RFC 7009).
    again = requests.post(
        f"{node.base_url}/oauth/revoke",
        data={"token": token, "client_id": app.client_id, "client_secret": app.client_secret},
        timeout=30,
    )
    assert again.status_code == 200
    assert again.json() == {}


def test_a_client_cannot_revoke_another_clients_token(node: LiveNode, alice: Member) -> None:
    owner, other = register(node), register(node)
    token = owner.log_in("alice", PASSWORD, scopes=SCOPES, allow_http=True)

    answer = requests.post(
        f"{node.base_url}/oauth/revoke",
        json={
            "token": token,
            "client_id": str(other.client_id),
            "client_secret": other.client_secret,
        },
        timeout=30,
    )
    unauthenticated = requests.post(
        f"{node.base_url}/oauth/revoke",
        data={"token": token, "client_id": owner.client_id, "client_secret": "nope"},
        timeout=30,
    )

    assert answer.status_code == 200
    assert answer.json() == {}
    oauth_error(unauthenticated, 401, "invalid_client")
    assert api_get(node, "/api/v1/preferences", token).status_code == 200


# --- discovery and user info ---


def test_authorization_server_metadata(node: LiveNode) -> None:
    answer = requests.get(f"{node.base_url}/.well-known/oauth-authorization-server", timeout=30)

    assert answer.status_code == 200
    meta = answer.json()
    base = node.base_url
    assert meta["issuer"] == f"{base}/"
    assert meta["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert meta["token_endpoint"] == f"{base}/oauth/token"
    assert meta["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert meta["userinfo_endpoint"] == f"{base}/oauth/userinfo"
    assert meta["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert meta["service_documentation"] == "https://docs.joinmastodon.org/"
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["grant_types_supported"] == ["authorization_code", "client_credentials", "password"]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    for scope in ("read", "write:statuses", "follow", "push", "profile", "admin:read:accounts"):
        assert scope in meta["scopes_supported"]
    assert Mastodon(api_base_url=base).oauth_authorization_server_info()["issuer"] == f"{base}/"


def test_userinfo_needs_profile_or_read_accounts(node: LiveNode, alice: Member) -> None:
    profile_only = node.token(alice, "profile")
    write_only = node.token(alice, "write")

    info = api_get(node, "/oauth/userinfo", profile_only)
    posted = requests.post(
        f"{node.base_url}/oauth/userinfo",
        headers={"Authorization": f"Bearer {profile_only}"},
        timeout=30,
    )

    assert info.status_code == 200
    assert info.json() == {
        "iss": f"{node.base_url}/",
        "sub": f"{node.base_url}/users/alice",
        "name": "alice",
        "preferred_username": "alice",
        "profile": f"{node.base_url}/@alice",
        "picture": f"{node.base_url}/static/avatar.png",
        "website": f"{node.base_url}/@alice",
    }
    assert posted.json() == info.json()
    assert api_get(node, "/oauth/userinfo", node.token(alice, "read:accounts")).status_code == 200
    forbidden = api_get(node, "/oauth/userinfo", write_only)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "This action is outside the authorized scopes"}
    anonymous = requests.get(f"{node.base_url}/oauth/userinfo", timeout=30)
    assert anonymous.status_code == 401

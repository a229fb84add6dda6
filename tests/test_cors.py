"""Browser apps on other origins may call the client API (bearer tokens, no cookies); pages may
not be read cross-origin."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


async def test_preflight_for_app_registration_is_answered(client: TestClient) -> None:
    # Given a browser app on another origin about to POST JSON to /api/v1/apps
    response = await client.options(
        "/api/v1/apps",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    # Then the preflight allows it
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()


async def test_api_answers_and_errors_carry_cors_headers(client: TestClient) -> None:
    ok = await client.get("/api/v1/instance", headers={"Origin": "https://app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert "Link" in ok.headers["Access-Control-Expose-Headers"]
    denied = await client.get("/api/v1/timelines/home", headers={"Origin": "https://app.example"})
    assert denied.status == 401
    assert denied.headers["Access-Control-Allow-Origin"] == "*"


async def test_pages_are_not_opened_to_other_origins(client: TestClient) -> None:
    response = await client.get("/auth/sign_in", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response.headers

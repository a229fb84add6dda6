"""Where the project's shared material lies: `../shared/` beside the checkout (CI lays a copy
there too). Fixtures are read from it, never copied into the repository."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
ACTIVITY_FIXTURES = SHARED / "fixtures" / "activities"
MASTODON_API_OPERATIONS = SHARED / "mastodon-api.json"

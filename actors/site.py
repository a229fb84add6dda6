"""Where this node's actors and pages live: every URL the node mints comes from here, so ids
stay stable (`https://{domain}/users/{name}`)."""

from __future__ import annotations

from dataclasses import dataclass

from actors.accounts import INSTANCE_ACTOR


@dataclass(frozen=True, slots=True)
class Site:
    domain: str
    scheme: str = "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    def actor_url(self, username: str) -> str:
        if username == INSTANCE_ACTOR:
            return f"{self.base_url}/actor"
        return f"{self.base_url}/users/{username}"

    def inbox_url(self, username: str) -> str:
        return f"{self.actor_url(username)}/inbox"

    def outbox_url(self, username: str) -> str:
        return f"{self.actor_url(username)}/outbox"

    def followers_url(self, username: str) -> str:
        return f"{self.actor_url(username)}/followers"

    def following_url(self, username: str) -> str:
        return f"{self.actor_url(username)}/following"

    def key_id(self, username: str) -> str:
        return f"{self.actor_url(username)}#main-key"

    def profile_url(self, username: str) -> str:
        if username == INSTANCE_ACTOR:
            return f"{self.base_url}/about"
        return f"{self.base_url}/@{username}"

    def status_uri(self, username: str, status_id: int) -> str:
        return f"{self.actor_url(username)}/statuses/{status_id}"

    def status_url(self, username: str, status_id: int) -> str:
        return f"{self.base_url}/@{username}/{status_id}"

    def tag_url(self, name: str) -> str:
        return f"{self.base_url}/tags/{name.lower()}"

    def media_url(self, key: str) -> str:
        """Media files live under unguessable keys, so apps load them without a token."""
        return f"{self.base_url}/system/{key}"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"

    def is_local_url(self, url: str) -> bool:
        return url == self.base_url or url.startswith(self.base_url + "/")

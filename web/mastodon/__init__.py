"""The Mastodon client API (v1/v2): thin handlers that parse, authorise, call one command and
render Mastodon's entities."""

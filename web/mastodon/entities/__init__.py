"""Mastodon's entities rendered from plain data: one module per entity family."""

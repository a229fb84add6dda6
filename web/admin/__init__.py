"""The admin and moderation panel's pages (`web.admin.panel` registers them)."""

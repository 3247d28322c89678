"""Telegram Bot API: adapter, spec and fake."""

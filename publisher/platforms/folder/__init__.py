"""Folder: the dry-run platform that writes each post as files (no HTTP, so no fake)."""

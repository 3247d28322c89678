"""Platforms: one folder per platform (``adapter.py``, ``spec.py``, ``fake.py``) behind
:class:`publisher.platforms.base.Platform`. :mod:`publisher.platforms.registry` lists the
specs every other part reads and builds the adapter for an account (docs/adding-a-platform.md).
"""

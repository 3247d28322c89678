"""Platform adapters: one module per platform behind :class:`publisher.platforms.base.Platform`.
:func:`publisher.platforms.registry.build_platform` makes the adapter for an account."""

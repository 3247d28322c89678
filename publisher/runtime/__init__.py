"""The running process: the :class:`~publisher.runtime.context.AppContext` built once from
settings (engine, sessions, vault, HTTP client, media stores) and passed to every part, and what
every command shares (:mod:`publisher.runtime.console`). It sits above the kernel
(:mod:`publisher.core`), the data model and the media store, and below every part that uses them.
"""

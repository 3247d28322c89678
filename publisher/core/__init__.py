"""The kernel every part stands on: settings, the exception tree, the clock, paths, secrets at
rest (the ``Vault``) and the backoff schedule. It imports nothing else of the application."""

"""Operations: the scheduler lease, health checks (doctor), backups and Prometheus metrics.

Errors raised on purpose here derive from :class:`publisher.core.errors.LaporError`::

    LaporError
    └── OpsError              an operation cannot proceed (names the problem and the fix)
        └── BackupError       a backup cannot be written or restored
"""

from __future__ import annotations

from publisher.core.errors import LaporError


class OpsError(LaporError):
    user_message = "Operasi tidak dapat dijalankan. Hubungi admin."


class BackupError(OpsError):
    pass


__all__ = ["BackupError", "OpsError"]

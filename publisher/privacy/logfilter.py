"""A logging filter that scrubs personal data out of log records before any handler sees them.

Attach it to *handlers* (``handler.addFilter(PersonalDataFilter())``): filters on a logger do
not run for records propagated from its child loggers, filters on a handler run for all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from publisher.privacy.detector import PersonalDataDetector
from publisher.privacy.model import KnownIdentities
from publisher.privacy.redaction import redact

_FORMATTER = logging.Formatter()


class PersonalDataFilter(logging.Filter):
    """Rewrites ``record.msg``/``record.args`` (and exception/stack text) with redactions.

    The message is formatted once (``msg % args``), redacted, and stored back as ``msg`` with
    ``args`` cleared, so no handler can re-format the original arguments. A traceback is
    rendered to ``exc_text`` and redacted, and ``exc_info`` is dropped, for the same reason.
    ``known`` may return the identities of the case being processed (e.g. from a context
    variable) so their names are caught even without an honorific.
    """

    def __init__(
        self,
        detector: PersonalDataDetector | None = None,
        *,
        known: Callable[[], KnownIdentities | None] | None = None,
        name: str = "",
    ) -> None:
        super().__init__(name)
        self._detector = detector if detector is not None else PersonalDataDetector()
        self._known = known

    def _scrub(self, text: str, known: KnownIdentities | None) -> str:
        findings = self._detector.detect(text, known)
        return redact(text, findings).text if findings else text

    def filter(self, record: logging.LogRecord) -> bool:
        known = self._known() if self._known is not None else None
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not take the arguments through raw
            message = str(record.msg)
        record.msg = self._scrub(message, known)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text, known)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info, known)
        return True

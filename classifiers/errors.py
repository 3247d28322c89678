"""Typed errors of the conflict classifier.

Exception tree (every load problem is a subclass of ``ModelError``, so callers that must never
fail open catch one type and fall back to manual screening)::

    ModelError
    ├── ModelNotFound          the artefact or its metadata file is missing
    ├── ModelCorrupt           unreadable, truncated, tampered (sha256 mismatch), untrusted types,
    │                          or metadata that does not agree with the artefact
    └── ModelVersionMismatch   the artefact was written in another format version
    CorpusError                the labelled corpus breaks a rule (schema, length, near-duplicates)
    ScreenInputError           a line of a ``screen`` input file is not a valid case
"""

from __future__ import annotations


class ModelError(Exception):
    """Base class: the model cannot be used; screen the case by hand."""


class ModelNotFound(ModelError):
    """The model artefact or its metadata does not exist."""


class ModelCorrupt(ModelError):
    """The artefact is unreadable, truncated, tampered with or inconsistent."""


class ModelVersionMismatch(ModelError):
    """The artefact's format version is not the one this code reads."""


class CorpusError(ValueError):
    """A labelled example or the corpus as a whole breaks the labelling rules."""


class ScreenInputError(ValueError):
    """A line of a screening input file is not a valid case (message names the line only)."""

"""Typed model-loading errors::

ModelError
├── ModelNotFound         no artefact at the path
├── ModelCorrupt          unreadable, truncated or tampered (hash mismatch)
└── ModelVersionMismatch  written by an incompatible format or library version
"""


class ModelError(Exception):
    pass


class ModelNotFound(ModelError):
    pass


class ModelCorrupt(ModelError):
    pass


class ModelVersionMismatch(ModelError):
    pass

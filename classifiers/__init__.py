"""Conflict-prone complaint classifier for lapor-publisher.

Public API (the screening job and the CLI call exactly these)::

    from classifiers import ConflictModel, Score, load_model, default_model_path
    from classifiers import ModelError, ModelNotFound, ModelCorrupt, ModelVersionMismatch
    from classifiers import cli_screen

Importing this package does no work: nothing is loaded until ``load_model`` is called.
"""

from classifiers.cli import cli_screen
from classifiers.errors import ModelCorrupt, ModelError, ModelNotFound, ModelVersionMismatch
from classifiers.model import ConflictModel, Score, default_model_path, load_model

__all__ = [
    "ConflictModel",
    "ModelCorrupt",
    "ModelError",
    "ModelNotFound",
    "ModelVersionMismatch",
    "Score",
    "cli_screen",
    "default_model_path",
    "load_model",
]

"""The conflict-prone classifier. Public API: :func:`load_model`, :class:`ConflictModel`,
:class:`Score` and the typed load errors."""

from classifiers.errors import ModelCorrupt, ModelError, ModelNotFound, ModelVersionMismatch
from classifiers.model import ConflictModel, Score, default_model_path, load_model

__all__ = [
    "ConflictModel",
    "ModelCorrupt",
    "ModelError",
    "ModelNotFound",
    "ModelVersionMismatch",
    "Score",
    "default_model_path",
    "load_model",
]

"""The exception tree: every deliberate error derives from LaporError, as drawn in core/errors.py.

The test imports every module of ``publisher``, ``jobs`` and ``classifiers``, finds each
exception class defined there, and fails on one outside :class:`LaporError` unless it is named
in :data:`OUTSIDE_THE_TREE` with its reason. The drawing in the docstring of
:mod:`publisher.core.errors` must name every class of the tree under its true parent.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import classifiers
import jobs
import publisher
from publisher.core import errors
from publisher.core.errors import LaporError

# Modules that do work when imported: Alembic's environment runs migrations, ``__main__``
# modules run their command line.
NOT_IMPORTED = ("publisher.db.migrations",)

OUTSIDE_THE_TREE: dict[str, str] = {
    # The screening model must not import the app, so its errors cannot derive from ours.
    "classifiers.errors.ModelError": "classifiers imports nothing of the app",
    "classifiers.errors.ModelNotFound": "classifiers imports nothing of the app",
    "classifiers.errors.ModelCorrupt": "classifiers imports nothing of the app",
    "classifiers.errors.ModelVersionMismatch": "classifiers imports nothing of the app",
    "classifiers.errors.CorpusError": "classifiers imports nothing of the app",
    "classifiers.errors.ScreenInputError": "classifiers imports nothing of the app",
}


def _modules(package: ModuleType) -> list[ModuleType]:
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if info.name.startswith(NOT_IMPORTED) or info.name.endswith(".__main__"):
            continue
        found.append(importlib.import_module(info.name))
    return found


def _exception_classes() -> dict[str, type[BaseException]]:
    classes: dict[str, type[BaseException]] = {}
    for package in (publisher, jobs, classifiers):
        for module in _modules(package):
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                    classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return classes


def _drawing() -> dict[str, str | None]:
    """Each class drawn in the errors docstring, with the class drawn as its parent."""
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in block.splitlines():
        match = re.match(r"^( {4}[│├└─ ]*)([A-Z]\w+)", line)
        if match is None:
            if parents and line.strip() and not line.startswith(" "):
                break  # the prose after the drawing
            continue
        depth = (len(match.group(1)) - 4) // 4
        del stack[depth:]
        parents[match.group(2)] = stack[-1] if stack else None
        stack.append(match.group(2))
    return parents


def test_every_exception_defined_in_the_code_derives_from_lapor_error_or_says_why_not() -> None:
    outside = [
        name
        for name, cls in _exception_classes().items()
        if not issubclass(cls, LaporError) and name not in OUTSIDE_THE_TREE
    ]
    assert outside == [], "derive these from a LaporError branch, or name them with a reason"


def test_the_drawn_tree_names_every_class_of_the_tree_under_its_true_parent() -> None:
    drawn = _drawing()
    classes = _exception_classes()
    in_tree = {cls.__name__: cls for cls in classes.values() if issubclass(cls, LaporError)}
    assert sorted(set(in_tree) - set(drawn)) == [], "draw these in publisher/core/errors.py"
    names = {cls.__name__ for cls in classes.values()}
    assert sorted(set(drawn) - names) == [], "the drawing names classes that do not exist"
    for name, cls in in_tree.items():
        if cls is LaporError:
            assert drawn[name] is None
            continue
        parent = next(b for b in cls.__bases__ if issubclass(b, LaporError))
        assert drawn[name] == parent.__name__, f"{name} is drawn under {drawn[name]}"


def test_every_send_failure_says_one_of_the_five_outcomes_and_its_reason_is_its_key() -> None:
    from publisher.platforms.errors import REASONS

    for reason, cls in REASONS.items():
        assert cls.outcome in errors.OUTCOMES
        assert cls.reason == reason
    assert {cls.outcome for cls in REASONS.values()} == set(errors.OUTCOMES)

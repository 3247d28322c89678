"""Every registered platform has every piece (adapter factory, error table, caption and media
limits, credential model, label, caption templates, a fake when it talks HTTP), and no module
outside ``publisher/platforms`` keeps a table of its own keyed by platform names."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from publisher.core.settings import Settings
from publisher.platforms.errors import REASONS
from publisher.platforms.registry import BUILT_IN, UnknownPlatform, get_spec, specs
from publisher.platforms.spec import AdapterInputs, PlatformSpec
from publisher.posts.rules import KINDS, MEASURES
from publisher.runtime.context import AppContext

ROOT = Path(__file__).resolve().parents[1]
PLATFORMS_DIR = ROOT / "publisher" / "platforms"
# Modules allowed to name several platforms, each with its reason.
ALLOWED = {
    # The demo wires each fake server by hand (tokens, pages, channels differ per fake).
    "publisher/demo/run.py",
}


def missing_pieces(spec: PlatformSpec, settings: Settings) -> list[str]:
    """What ``spec`` lacks; empty for a complete platform."""
    missing = []
    if not spec.label.strip():
        missing.append("label")
    if spec.caption.max_length <= 0 or spec.caption.counting not in MEASURES:
        missing.append("caption limits")
    media = spec.media
    if not (0 <= media.min_items <= media.max_items and media.max_items > 0):
        missing.append("media counts")
    if not media.kinds or min(media.photo_max_bytes, media.video_max_bytes) <= 0:
        missing.append("media limits")
    creds = spec.credentials
    if set(creds.required) & set(creds.optional) or (creds.required and not creds.help):
        missing.append("credential model")
    talks_http = bool(spec.api_base)
    if talks_http and not spec.errors:
        missing.append("error table")
    if any(rule.reason not in {*REASONS, "server"} or not rule.message for rule in spec.errors):
        missing.append("error table reasons and messages")
    if talks_http:
        module, _, name = spec.fake.partition(":")
        fake = getattr(importlib.import_module(module), name, None) if module else None
        if fake is None or not callable(getattr(fake, "app", None)):
            missing.append("fake")
    for kind in KINDS:
        folder = spec.templates or spec.name  # as template_name reads it from the registry
        if not (ROOT / "templates" / "posts" / folder / f"{kind}.txt.j2").is_file():
            missing.append(f"caption template {kind}")
    dummy = {key: "1" for key in creds.required}
    with httpx.Client() as client:
        adapter = spec.factory(AdapterInputs("handle", dummy, client, settings, spec.api_base))
    if getattr(adapter, "name", None) != spec.name:
        missing.append("adapter factory")
    return missing


@pytest.mark.parametrize("spec", BUILT_IN, ids=lambda spec: spec.name)
def test_every_built_in_platform_has_every_piece(spec: PlatformSpec, ctx: AppContext) -> None:
    assert missing_pieces(spec, ctx.settings) == []
    folder = PLATFORMS_DIR / spec.name
    assert (folder / "adapter.py").is_file() and (folder / "spec.py").is_file()
    assert importlib.import_module(f"publisher.platforms.{spec.name}.spec").SPEC is spec
    if spec.fake:
        assert spec.fake.startswith("publisher.platforms.")


def test_a_platform_missing_a_piece_is_caught(ctx: AppContext) -> None:
    telegram = get_spec("telegram")
    broken = replace(telegram, errors=(), fake="", label=" ", templates="myspace")
    assert set(missing_pieces(broken, ctx.settings)) == {
        "label",
        "error table",
        "fake",
        *(f"caption template {kind}" for kind in KINDS),
    }


def test_an_unknown_platform_is_an_error_of_the_tree() -> None:
    with pytest.raises(UnknownPlatform, match="unknown platform 'myspace'"):
        get_spec("myspace")


def _platform_names() -> set[str]:
    return {spec.name for spec in specs()}


def _tables(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines of literals (dict keys, tuple/list/set items) naming two platforms or more, and
    of comparisons of a platform variable with one platform's name."""
    found = []
    for node in ast.walk(tree):
        items: list[ast.expr | None] = []
        if isinstance(node, ast.Dict):
            items = list(node.keys)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = list(node.elts)
        named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in names}
        if len(named) >= 2:
            found.append(node.lineno)
        if isinstance(node, ast.Compare) and "platform" in ast.unparse(node.left):
            for right in node.comparators:
                values = right.elts if isinstance(right, ast.Tuple) else [right]
                if any(isinstance(v, ast.Constant) and v.value in names for v in values):
                    found.append(node.lineno)
    return found


def test_no_module_outside_the_platforms_keeps_a_table_of_platforms() -> None:
    names = _platform_names()
    offenders = []
    for folder in ("publisher", "jobs", "classifiers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("publisher/platforms/") or rel in ALLOWED:
                continue
            lines = _tables(ast.parse(path.read_text(encoding="utf-8")), names)
            offenders += [f"{rel}:{line}" for line in lines]
    alternatives = "|".join(sorted(names))
    pattern = re.compile(rf"platform\s*(==|!=|in|not in)\s*[(\[]?\s*[\"']({alternatives})[\"']")
    for path in sorted((ROOT / "templates").rglob("*.j2")) + sorted(
        (ROOT / "templates").rglob("*.html")
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT).as_posix()}:{number}")
    assert offenders == []

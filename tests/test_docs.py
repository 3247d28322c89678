"""Docs that cannot drift (datasette's habit): the architecture page, the configuration page
and the README's layout are checked against the tree and the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from publisher.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = REPO / "docs" / "architecture.md"
CONFIGURATION = REPO / "docs" / "configuration.md"
README = REPO / "README.md"
MIGRATIONS = REPO / "publisher" / "db" / "migrations" / "versions"

# Top-level folders a path named in the docs starts with.
TREE_ROOTS = ("publisher/", "classifiers/", "jobs/", "templates/", "docs/", "tests/", "bench/")
CODE = re.compile(r"`([^`\n]+)`")


def parts() -> set[str]:
    """Each package directly under publisher/, plus classifiers/ and jobs/."""
    found = {
        f"publisher/{p.name}/"
        for p in (REPO / "publisher").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    }
    return found | {"classifiers/", "jobs/"}


def section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the Markdown tables in ``text``."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [row for row in rows if row[0] not in ("part", "variable")]


def named_paths(text: str) -> list[str]:
    return [code for code in CODE.findall(text) if code.startswith(TREE_ROOTS)]


@pytest.mark.parametrize("doc", [ARCHITECTURE, CONFIGURATION, README], ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    missing = [path for path in named_paths(doc.read_text()) if not (REPO / path).exists()]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_the_architecture_names_modules_by_their_path_from_the_repository() -> None:
    bare = [
        code
        for code in CODE.findall(ARCHITECTURE.read_text())
        if code.endswith(".py") and not code.startswith(TREE_ROOTS)
    ]
    assert not bare, f"name these by their full path, so the test can find them: {bare}"


def test_every_part_has_one_row_naming_one_package() -> None:
    rows = table_rows(section(ARCHITECTURE.read_text(), "## Parts"))
    packages = []
    for part, package, _what in rows:
        named = CODE.findall(package)
        assert len(named) == 1 and named[0].endswith("/"), (
            f"the row of {part!r} must name exactly one package, not {package!r}"
        )
        packages.append(named[0])
    duplicated = sorted({p for p in packages if packages.count(p) > 1})
    assert not duplicated, f"packages with more than one row: {duplicated}"
    assert set(packages) == parts(), (
        f"parts without a row: {sorted(parts() - set(packages))}; "
        f"rows without a part: {sorted(set(packages) - parts())}"
    )


def test_the_migration_list_matches_the_migrations() -> None:
    listed = CODE.findall(section(ARCHITECTURE.read_text(), "## Migrations"))
    revisions = [m for m in listed if re.fullmatch(r"\d{4}_\w+", m)]
    on_disk = sorted(p.stem for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert revisions == on_disk


def test_every_setting_is_documented() -> None:
    text = CONFIGURATION.read_text() + README.read_text()
    documented = set(re.findall(r"LAPOR_[A-Z0-9_]+", text))
    missing = [
        f"LAPOR_{name.upper()}"
        for name in Settings.model_fields
        if f"LAPOR_{name.upper()}" not in documented
    ]
    assert not missing, f"document these in docs/configuration.md: {missing}"


def shown_default(value: object) -> str:
    """A default as the configuration page writes it."""
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def test_the_configuration_page_gives_each_setting_its_real_default() -> None:
    rows = {
        row[0].strip("`"): row[1].strip("`")
        for row in table_rows(CONFIGURATION.read_text())
        if row[0].startswith("`LAPOR_")
    }
    wrong = {}
    for name, field in Settings.model_fields.items():
        variable = f"LAPOR_{name.upper()}"
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if variable in rows and rows[variable] != shown_default(default):
            wrong[variable] = (rows[variable], shown_default(default))
    assert not wrong, f"documented vs real defaults: {wrong}"
    unknown = sorted(set(rows) - {f"LAPOR_{n.upper()}" for n in Settings.model_fields})
    assert not unknown, f"the configuration page documents variables that do not exist: {unknown}"


def test_the_readme_layout_names_every_part() -> None:
    layout = section(README.read_text(), "## Layout")
    names = {p.rstrip("/").removeprefix("publisher/") for p in parts()}
    missing = sorted(name for name in names if not re.search(rf"\b{name}\b", layout))
    assert not missing, f"the README's layout leaves out: {missing}"

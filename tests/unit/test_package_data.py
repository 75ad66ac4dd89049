"""The wheel's package data (pyproject.toml ``[tool.setuptools.package-data]``) covers every non-Python file
of ``src/dataproducts`` that the runner reads at run time: a new template, schema or SQL file is never left
out of the distribution. ``make test-wheel`` (tests/package/test_wheel.py) proves it on a built wheel."""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
PACKAGE = SRC / "dataproducts"
# Files that are not read at run time and stay out of the wheel on purpose, with the reason.
NOT_SHIPPED = {
    # the $name parameter values sqlfluff lints the generator's SQL with (make lint)
    "sql/generate/.sqlfluff": "lint configuration",
}
CODE_SUFFIXES = {".py", ".pyc", ".pyo"}


def data_files() -> set[str]:
    """Every non-Python file under src/dataproducts, relative to it."""
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in CODE_SUFFIXES and "__pycache__" not in path.parts
    }


def shipped_files() -> dict[str, set[str]]:
    """What each package-data pattern puts into the wheel (setuptools globs files, recursively, per package;
    ``*`` matches no hidden file), relative to src/dataproducts."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    matched: dict[str, set[str]] = {}
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        root = SRC.joinpath(*package.split("."))
        for pattern in patterns:
            # glob.glob, as setuptools does: unlike Path.glob, its `*` skips hidden files
            found = glob.glob(pattern, root_dir=root, recursive=True)  # noqa: PTH207
            matched[f"{package}: {pattern}"] = {
                (root / name).relative_to(PACKAGE).as_posix() for name in found if (root / name).is_file()
            }
    return matched


def test_package_data_covers_every_non_python_file() -> None:
    shipped = set().union(*shipped_files().values())
    left_out = sorted(data_files() - shipped - set(NOT_SHIPPED))
    assert not left_out, (
        f"not in the wheel: {left_out}; add a pattern to [tool.setuptools.package-data] in pyproject.toml "
        "(or to NOT_SHIPPED here, with the reason it is never read at run time)"
    )


def test_every_package_data_pattern_matches_a_file() -> None:
    stale = sorted(pattern for pattern, files in shipped_files().items() if not files)
    assert not stale, f"package-data patterns that match no file: {stale}"


def test_files_kept_out_exist_and_are_kept_out() -> None:
    shipped = set().union(*shipped_files().values())
    for name in NOT_SHIPPED:
        assert (PACKAGE / name).is_file(), f"{name} is listed in NOT_SHIPPED but does not exist"
        assert name not in shipped, f"{name} is listed in NOT_SHIPPED but a package-data pattern ships it"

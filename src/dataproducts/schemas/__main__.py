"""Write (or check) every published JSON Schema from its model: ``python -m dataproducts.schemas [--check]``.

Each schema is written twice, with the same text: into the package (``src/dataproducts/schemas/``, what the
code validates against and ships) and into the docs (``docs/schemas/``, what consumers read). ``--check``
writes nothing and exits 1 naming every file that differs from its model (CI and the tests run it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dataproducts.schemas import schema_text

PACKAGE_DIR = Path("src") / "dataproducts" / "schemas"
DOCS_DIR = Path("docs") / "schemas"


def published() -> dict[str, Callable[[], dict[str, Any]]]:
    """File name -> the function generating its schema, for every schema we publish."""
    from dataproducts.slo import document
    from dataproducts.validation import results

    return {
        document.SCHEMA_FILE: document.generate_schema,
        results.SCHEMA_FILE: results.generate_schema,
    }


def default_root() -> Path:
    """The checkout this module lives in (``<root>/src/dataproducts/schemas/__main__.py``)."""
    return Path(__file__).resolve().parents[3]


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file under ``root`` and the text it should hold."""
    files: dict[Path, str] = {}
    for name, generate in published().items():
        text = schema_text(generate())
        for folder in (PACKAGE_DIR, DOCS_DIR):
            files[root / folder / name] = text
    return files


def stale_files(root: Path) -> list[Path]:
    """The generated files that are missing or differ from their model."""
    return [
        path
        for path, text in expected_files(root).items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def write_schemas(root: Path) -> list[Path]:
    """Write every schema that differs from its model; the files written."""
    written = []
    for path, text in expected_files(root).items():
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dataproducts.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    parser.add_argument("--root", type=Path, default=None, help="the project checkout (default: this one)")
    args = parser.parse_args(argv)
    root: Path = args.root or default_root()
    if not (root / PACKAGE_DIR).is_dir():
        print(f"{root}: not a checkout of this project (no {PACKAGE_DIR})", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_files(root)
        for path in stale:
            print(f"{path}: differs from its model; run `make schemas`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_schemas(root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

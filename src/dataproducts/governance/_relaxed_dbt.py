"""Run dbt with its group access check relaxed, so a manifest can show a private reference dbt refuses.

``python -m dataproducts.governance._relaxed_dbt parse ...`` behaves like ``dbt parse ...`` except that a
reference to another group's private model is recorded instead of failing the parse. ``dp check`` uses it
only after a normal parse failed, and only to *report* such references (DP009, DP010) with the rest of the
rules: the project still fails in dbt. Exits 3 when this dbt no longer has the hook (then ``dp check`` falls
back to dbt's own error message).
"""

from __future__ import annotations

import sys

RELAXED_UNAVAILABLE = 3


def main() -> int:
    from dbt.contracts.graph import manifest as dbt_manifest

    if not hasattr(dbt_manifest.Manifest, "is_invalid_private_ref"):
        return RELAXED_UNAVAILABLE

    def _allow(self: object, *args: object, **kwargs: object) -> bool:
        return False

    dbt_manifest.Manifest.is_invalid_private_ref = _allow  # type: ignore[method-assign]
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    try:
        cli()
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

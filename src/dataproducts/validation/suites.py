"""Suite files: one GX Core 1.x ``ExpectationSuite`` per data product, as JSON under ``expectations/<domain>/``.

A suite file is GX's own serialized suite (``name``, ``expectations``, ``meta``, ``notes``) with three rules
on top, each checked here so that a bad file is one clear error instead of a silently smaller suite (GX's
``ExpectationSuite`` *drops* an expectation it cannot build and only logs it):

- ``name`` is the id of the product it validates (``<domain>.<product>``); the product links to the file
  by ``config.meta.data_product.suite`` (default ``expectations/<domain>/<product>.json``).
- every expectation carries GX's own ``severity`` field, one of ``critical``, ``warning``, ``info``
  (GX would default a missing one to critical; we want the owner to say it).
- time-relative bounds use GX suite parameters (``{"$PARAMETER": "<name>"}``) with one of the names in
  :data:`PARAMETERS`; the runner fills them from the run's as-of day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from dataproducts.constants import as_of_sql_literal
from dataproducts.errors import SuiteError

SEVERITIES: tuple[str, ...] = ("critical", "warning", "info")

# Suite parameters the runner provides, from the as-of day D (the as-of time is D 06:00 UTC; landing data
# covers the days before D).
PARAMETERS: dict[str, str] = {
    "as_of_date": "the as-of day D (YYYY-MM-DD)",
    "as_of_time": "the as-of time, D 06:00:00 UTC",
    "last_data_date": "the last day with business events, D-1",
    "last_data_day_start": "the start of the last data day, D-1 00:00:00",
    "last_data_month_start": "the first day of the month of the last data day D-1",
    "as_of_minus_7d_date": "D-7",
    "as_of_minus_30d_date": "D-30, the first day of telemetry",
    "as_of_minus_730d_date": "D-730, the first day of order history",
}


def suite_parameters(as_of: dt.date) -> dict[str, str]:
    """Values of :data:`PARAMETERS` for the as-of day ``as_of``."""
    last = as_of - dt.timedelta(days=1)
    return {
        "as_of_date": as_of.isoformat(),
        "as_of_time": as_of_sql_literal(as_of),
        "last_data_date": last.isoformat(),
        "last_data_day_start": f"{last.isoformat()} 00:00:00",
        "last_data_month_start": last.replace(day=1).isoformat(),
        "as_of_minus_7d_date": (as_of - dt.timedelta(days=7)).isoformat(),
        "as_of_minus_30d_date": (as_of - dt.timedelta(days=30)).isoformat(),
        "as_of_minus_730d_date": (as_of - dt.timedelta(days=730)).isoformat(),
    }


@dataclass(frozen=True)
class Suite:
    """A suite file, checked; GX's own ``ExpectationSuite`` of it is built only when asked for."""

    path: Path
    name: str
    severities: tuple[str, ...]  # per expectation, in file order
    parameters: frozenset[str]
    raw: Mapping[str, Any]

    def __len__(self) -> int:
        return len(self.severities)

    @property
    def expectations(self) -> list[dict[str, Any]]:
        """The expectations as the file holds them."""
        return list(self.raw["expectations"])

    @cached_property
    def gx_suite(self) -> Any:
        """GX's ``ExpectationSuite`` of the file (imports Great Expectations)."""
        return _gx_suite(self.path, self.raw)

    def subset(self, positions: Sequence[int]) -> Suite:
        """The same suite with only the expectations at ``positions``."""
        raw = dict(self.raw)
        raw["expectations"] = [self.raw["expectations"][i] for i in positions]
        return replace(self, raw=raw, severities=tuple(self.severities[i] for i in positions))


def _parameters_in(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if "$PARAMETER" in value:
            yield str(value["$PARAMETER"])
        for item in value.values():
            yield from _parameters_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _parameters_in(item)


def _first_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: name the first offending field
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        except Exception:
            pass
    text = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return str(text).strip().splitlines()[0]


def read_suite_json(path: Path) -> dict[str, Any]:
    """The raw JSON object of a suite file (``SuiteError`` if missing, unreadable or not an object)."""
    if not path.is_file():
        raise SuiteError(f"{path}: suite file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read suite file ({exc.__class__.__name__})") from exc
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: a suite file must hold a JSON object")
    return data


def _gx_check(where: str, raw: Mapping[str, Any]) -> None:
    """Build one expectation with GX's own model (``SuiteError`` if GX refuses it)."""
    from great_expectations.exceptions.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        get_expectation_impl(raw["type"])
    except ExpectationNotFoundError:
        raise SuiteError(f"{where}: unknown expectation type") from None
    try:
        ExpectationConfiguration(**raw).to_domain_obj()
    except Exception as exc:  # GX raises several types for a bad configuration
        raise SuiteError(f"{where}: invalid configuration: {_first_line(exc)}") from exc


def _check_expectation(where: str, raw: Mapping[str, Any]) -> None:
    """Check one expectation as GX's model would: natively where the registry has a spec for its type and
    the native evaluator runs under the installed GX, else with GX's own model."""
    from dataproducts.validation import native, registry

    try:
        if not native.runs_under(native.installed_gx_version()):
            raise native.NotNative("not the GX release the native evaluator was written for")
        native.check_config(raw, registry.native_spec(str(raw["type"])))
    except native.NotNative:
        _gx_check(where, raw)


_SUITE_FIELDS = ("name", "expectations", "meta", "notes", "id", "suite_parameters")


def _gx_suite(path: Path, data: Mapping[str, Any]) -> Any:
    from great_expectations.core import ExpectationSuite

    fields = {k: data[k] for k in _SUITE_FIELDS if k in data}
    try:
        suite = ExpectationSuite(**fields)
    except Exception as exc:
        raise SuiteError(f"{path}: not a valid GX expectation suite: {_first_line(exc)}") from exc
    if len(suite.expectations) != len(data["expectations"]):  # GX drops what it cannot build: a bug
        raise SuiteError(
            f"{path}: GX loaded {len(suite.expectations)} of {len(data['expectations'])} expectations"
        )
    return suite


def _plain_suite_fields(data: Mapping[str, Any]) -> bool:
    """Suite-level fields GX accepts as they are (anything else is checked by building GX's suite)."""
    notes = data.get("notes")
    return (
        isinstance(data.get("meta") or {}, dict)
        and (
            notes is None
            or isinstance(notes, str)
            or (isinstance(notes, list) and all(isinstance(n, str) for n in notes))
        )
        and data.get("id") is None
        and not data.get("suite_parameters")
    )


def load_suite(path: Path) -> Suite:
    """Read and check one suite file (``SuiteError`` on any problem).

    Expectations the native evaluator understands (:mod:`dataproducts.validation.native`) are checked
    without importing Great Expectations; any other one is built with GX's own model, as GX would."""
    data = read_suite_json(path)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise SuiteError(f"{path}: the suite has no name (it must be the product id, <domain>.<product>)")
    expectations = data.get("expectations")
    if not isinstance(expectations, list) or not expectations:
        raise SuiteError(f"{path}: the suite has no expectations list")

    severities: list[str] = []
    for index, raw in enumerate(expectations, start=1):
        where = f"{path}: expectation #{index}"
        if not isinstance(raw, dict):
            raise SuiteError(f"{where} is not a JSON object")
        kind = raw.get("type")
        if not isinstance(kind, str) or not kind:
            raise SuiteError(f"{where} has no type")
        where = f"{where} ({kind})"
        if not isinstance(raw.get("kwargs"), dict):
            raise SuiteError(f"{where} has no kwargs object")
        severity = raw.get("severity")
        if severity not in SEVERITIES:
            shown = "missing" if severity is None else repr(severity)
            raise SuiteError(f"{where}: severity {shown}, expected one of {', '.join(SEVERITIES)}")
        _check_expectation(where, raw)
        severities.append(severity)

    used = frozenset(_parameters_in(expectations))
    unknown = sorted(used - PARAMETERS.keys())
    if unknown:
        raise SuiteError(
            f"{path}: unknown suite parameter(s) {', '.join(unknown)} (known: {', '.join(PARAMETERS)})"
        )
    suite = Suite(path=path, name=name, severities=tuple(severities), parameters=used, raw=data)
    if not _plain_suite_fields(data):
        suite.gx_suite  # noqa: B018 - GX checks the suite-level fields it will be built from
    return suite


def suite_files(expectations_dir: Path) -> list[Path]:
    """Every suite file under ``expectations/`` (``*.json``, any depth), sorted."""
    if not expectations_dir.is_dir():
        return []
    return sorted(p for p in expectations_dir.rglob("*.json") if p.is_file())

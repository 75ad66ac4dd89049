"""The data product descriptor (``config.meta.data_product``) as one strict, typed model.

This module is the one place that says what a valid descriptor is (``docs/descriptor.md`` documents it, and
``docs/schemas/descriptor.schema.json`` is generated from :class:`DescriptorModel`). Values are strict: no
string is read as a number or a boolean, no unknown key is ignored. A key may be left out: the runner then
uses the documented default (docs/slo.md), and ``dp check`` (DP005) asks for every key listed in a model's
``required_keys``. Problems are :class:`DescriptorProblem` values naming the YAML file, the model and the key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DESCRIPTOR_KEY = "data_product"
DESCRIPTOR_PATH = f"config.meta.{DESCRIPTOR_KEY}"
SCHEMA_PATH = Path("docs") / "schemas" / "descriptor.schema.json"
SCHEMA_ID = "https://dataproducts.example.com/schemas/descriptor.schema.json"

# Defaults for SLO targets a descriptor leaves out (documented in docs/slo.md).
DEFAULT_OBJECTIVE = 0.95
DEFAULT_WINDOW_DAYS = 28
MAX_WINDOW_DAYS = 3650
DEFAULT_MIN_VOLUME_RATIO = 0.5
DEFAULT_MAX_VOLUME_RATIO = 2.0
DEFAULT_MIN_PASS_RATE = 1.0

Classification = Literal["public", "internal", "confidential", "restricted"]
RefreshCycle = Literal["hourly", "daily", "weekly"]
InterfaceType = Literal["sql", "dbt_ref"]
CLASSIFICATIONS: tuple[str, ...] = get_args(Classification)

# An SLO objective: the share of runs in the window that must be good, strictly between 0 and 1.
ObjectiveValue = Annotated[float, Field(gt=0, lt=1, description="Share of runs in the window, in (0, 1).")]
Ratio = Annotated[float, Field(gt=0)]
Text = Annotated[str, Field(min_length=1)]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$", description="An email address.")]
RoleName = Annotated[
    str,
    Field(
        pattern=r"^[a-z_][a-z0-9_]*$",
        max_length=63,
        description="A consumer role of roles.yml (a PostgreSQL role name: lower case, digits, underscores).",
    ),
]
ProductId = Annotated[
    str, Field(pattern=r"^[^.\s]+\.[^.\s]+$", description="A product id, `<domain>.<product>`.")
]


def _required_in_schema(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    """List the model's ``required_keys`` as JSON Schema ``required`` (the keys ``dp check`` asks for)."""
    required = getattr(cls, "required_keys", ())
    if required:
        schema["required"] = sorted(set(schema.get("required", [])) | set(required))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, json_schema_extra=_required_in_schema)

    # Keys ``dp check`` (DP005) requires; left out, the runner uses a default (or the group's owner).
    required_keys: ClassVar[tuple[str, ...]] = ()


class OwnerModel(_Strict):
    """The accountable team; name and email default to the dbt group's owner."""

    required_keys: ClassVar[tuple[str, ...]] = ("email",)

    team: Text | None = None
    name: Text | None = None
    email: Email | None = None


class RefreshModel(_Strict):
    required_keys: ClassVar[tuple[str, ...]] = ("cycle",)

    cycle: RefreshCycle | None = None
    schedule: Text | None = Field(default=None, description="Cron expression in UTC.")
    method: Literal["full", "incremental"] | None = Field(
        default=None,
        description="How each build refreshes the product: `full` rebuilds it from all history, `incremental` "
        "replaces only the last `lookback_days` days of `event_time` (`dbt build --full-refresh` rebuilds it).",
    )
    event_time: Text | None = Field(
        default=None, description="The column that dates each row (incremental products): the window's clock."
    )
    lookback_days: Annotated[int, Field(ge=0, le=366)] | None = Field(
        default=None,
        description="How late data may arrive and still be picked up by the next incremental build, in days "
        "of `event_time` (changes older than that need a full refresh).",
    )


class InterfaceModel(_Strict):
    type: InterfaceType
    address: Text


class FreshnessModel(_Strict):
    required_keys: ClassVar[tuple[str, ...]] = ("max_age_hours",)

    max_age_hours: Ratio | None = None
    objective: ObjectiveValue | None = None


class AvailabilityModel(_Strict):
    objective: ObjectiveValue | None = None
    count_missed_runs: bool = Field(
        default=True, description="A night with no run counts against availability."
    )


class CompletenessModel(_Strict):
    min_volume_ratio: Ratio | None = None
    max_volume_ratio: Ratio | None = None
    objective: ObjectiveValue | None = None

    @model_validator(mode="after")
    def _band(self) -> CompletenessModel:
        low = DEFAULT_MIN_VOLUME_RATIO if self.min_volume_ratio is None else self.min_volume_ratio
        high = DEFAULT_MAX_VOLUME_RATIO if self.max_volume_ratio is None else self.max_volume_ratio
        if low > high:
            raise ValueError(f"min_volume_ratio {low:g} is above max_volume_ratio {high:g}")
        return self


class ValidityModel(_Strict):
    min_pass_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    objective: ObjectiveValue | None = None


class SchemaStabilityModel(_Strict):
    objective: ObjectiveValue | None = None


class SloModel(_Strict):
    window_days: Annotated[int, Field(gt=0, le=MAX_WINDOW_DAYS)] = DEFAULT_WINDOW_DAYS
    objective: ObjectiveValue | None = Field(
        default=None, description="The product's own objective (default: the loosest SLI objective)."
    )
    freshness: FreshnessModel | None = None
    availability: AvailabilityModel | None = None
    completeness: CompletenessModel | None = None
    validity: ValidityModel | None = None
    schema_stability: SchemaStabilityModel | None = None


class AccessModel(_Strict):
    """Who may read the product (version) and who sees its personal data in clear (docs/descriptor.md)."""

    readers: list[RoleName] = Field(
        default_factory=list,
        description="The roles (roles.yml) that may read the product; the owning domain's role always may.",
    )
    unmasked: list[RoleName] = Field(
        default_factory=list,
        description="The readers who see the personal columns in clear; every other reader reads them as NULL.",
    )
    personal_columns: list[Text] = Field(
        default_factory=list,
        description="The product's personal-data columns (every column marked meta.personal_data: true).",
    )
    request: Text | None = Field(
        default=None, description="How to request access: whom to ask and how the owner decides."
    )


class DescriptorModel(_Strict):
    """``config.meta.data_product`` of a public dbt model (see docs/descriptor.md)."""

    model_config = ConfigDict(title="Data product descriptor")
    required_keys: ClassVar[tuple[str, ...]] = (
        "domain",
        "owner",
        "refresh",
        "classification",
        "personal_data",
        "interfaces",
        "suite",
        "slo",
    )

    domain: Text | None = None
    owner: OwnerModel | None = None
    refresh: RefreshModel | None = None
    classification: Classification | None = None
    personal_data: bool | None = None
    personal_data_columns: list[Text] | None = Field(
        default=None, description="The columns that hold personal data (dp init guesses them from names)."
    )
    interfaces: list[InterfaceModel] | None = None
    suite: Text | None = Field(default=None, description="Path of the GX suite from the repository root.")
    slo: SloModel | None = None
    review: list[Text] | None = Field(
        default=None,
        description="What the owner still has to confirm (dp init writes it; dp check lists it as advice).",
    )
    formerly: list[ProductId] | None = Field(
        default=None,
        description="The ids the product had before a rename; its SLO history is read under them too.",
    )
    access: AccessModel | None = Field(
        default=None,
        description="The access policy: readers, unmasked readers, personal columns, how to request access "
        "(dp access prints it as a matrix; dp check validates it against roles.yml).",
    )


# --- problems ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DescriptorProblem:
    """One wrong key of one descriptor: where it lives (YAML file, model) and what is wrong."""

    file: str
    model: str
    key: str  # ``owner.email``, ``interfaces[0].type``; empty for the descriptor itself
    message: str
    base: str = DESCRIPTOR_PATH  # ``data_product`` in a declaration file (declarations.py)

    @property
    def path(self) -> str:
        return f"{self.base}.{self.key}" if self.key else self.base

    def __str__(self) -> str:
        sep = " " if self.message.startswith(("is ", "needs ")) else ": "
        return f"{self.file}: {self.model}: {self.path}{sep}{self.message}"


_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "model_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "string_pattern_mismatch": "expected an email address",
    "string_too_short": "expected a non-empty string",
    "missing": "is missing",
}


def _key(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _shown(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    got = f", got {_shown(error.get('input'))}"
    if kind == "extra_forbidden":
        return "unknown key (see docs/descriptor.md)"
    if kind == "missing":
        return "is missing"
    if kind == "literal_error":
        return f"expected one of {error['ctx']['expected']}{got}"
    if kind == "string_pattern_mismatch" and "@" not in str(error.get("ctx", {}).get("pattern", "@")):
        return f"expected a role name (lower case letters, digits, underscores){got}"
    if kind == "string_too_long":
        return f"expected at most {error['ctx']['max_length']} characters{got}"
    if kind in _EXPECTED:
        return _EXPECTED[kind] + got
    if kind == "value_error":
        return str(error["ctx"]["error"])
    text = str(error["msg"])
    text = text.replace("Input should be", "expected a value").replace("expected a value a ", "expected a ")
    return text[:1].lower() + text[1:] + got


def _errors(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    try:
        DescriptorModel.model_validate(raw)
    except ValidationError as exc:
        return [dict(e) for e in exc.errors(include_url=False)]
    return []


def _prune(raw: Any, loc: Sequence[int | str]) -> None:
    """Drop the value at ``loc`` (or the deepest existing container entry on its way)."""
    node = raw
    for depth, part in enumerate(loc):
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not present:
            return
        if depth == len(loc) - 1 or not isinstance(node[part], dict | list):
            del node[part]
            return
        node = node[part]
    if isinstance(node, dict):  # a model-level error (e.g. min above max): drop the whole mapping
        node.clear()


def validate_descriptor(
    raw: Mapping[str, Any], *, file: str = "", model: str = "", base: str = DESCRIPTOR_PATH
) -> tuple[DescriptorModel, tuple[DescriptorProblem, ...]]:
    """The descriptor's valid part and every problem found (each wrong value is dropped, never coerced)."""
    problems: list[DescriptorProblem] = []
    data = copy.deepcopy(dict(raw))
    pruned: set[tuple[int | str, ...]] = set()
    for _ in range(20):
        errors = _errors(data)
        if not errors:
            return DescriptorModel.model_validate(data), tuple(problems)
        problems += [
            DescriptorProblem(file, model, _key(e["loc"]), _message(e), base)
            for e in errors
            if tuple(e["loc"]) not in pruned  # missing because its wrong value was dropped: no new problem
        ]
        for error in sorted(errors, key=lambda e: [str(p) for p in e["loc"]], reverse=True):
            loc = tuple(error["loc"])
            # a required key is missing: drop the entry that needs it (an interface without its type)
            where = loc[:-1] if error["type"] == "missing" else loc
            _prune(data, where)
            pruned.update({loc, where})
    return DescriptorModel(), tuple(problems)  # pragma: no cover - pruning always converges


def missing_keys(model: BaseModel, prefix: str = "") -> Iterator[str]:
    """Keys ``dp check`` requires that the descriptor leaves out (``refresh.cycle``), depth first."""
    for name in getattr(model, "required_keys", ()):
        if getattr(model, name) is None:
            yield f"{prefix}{name}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from missing_keys(value, f"{prefix}{name}.")


# --- the JSON Schema -----------------------------------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The descriptor's JSON Schema, generated from :class:`DescriptorModel`."""
    schema = DescriptorModel.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "description": "config.meta.data_product of a public dbt model (see docs/descriptor.md). "
        "Generated from dataproducts.descriptor.DescriptorModel: do not edit by hand.",
        **{k: v for k, v in schema.items() if k != "description"},
    }


def render_json_schema() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"


def write_json_schema(project_dir: Path) -> Path:
    """Write ``docs/schemas/descriptor.schema.json`` (``python -m dataproducts.descriptor [PROJECT_DIR]``)."""
    path = project_dir / SCHEMA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_json_schema(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - the generator
    import sys

    print(write_json_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()))

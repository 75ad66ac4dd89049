"""The published JSON Schemas and the helpers that generate them from their pydantic models.

Every ``*.schema.json`` in this folder (and its copy under ``docs/schemas/``) is generated: the model is the
one place that says what is valid, the schema is its published form. Regenerate with
``python -m dataproducts.schemas`` (``make schemas``); ``--check`` exits 1 when a committed file differs.

This module holds only what the models need (schema generation, one-line error locations); which schemas
are published, and where, is ``dataproducts.schemas.__main__``'s business.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Formats of the timestamps and days the documents carry (RFC 3339 with an offset; ISO 8601 calendar day).
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class _SchemaGenerator(GenerateJsonSchema):
    """pydantic's generator without a title on every property (the key is its own title)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def model_schema(model: type[BaseModel], *, schema_id: str, title: str, description: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``model``, with ``$schema``, ``$id``, title and description first."""
    generated = model.model_json_schema(schema_generator=_SchemaGenerator, mode="validation")
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id,
        "title": title,
        "description": description,
        **generated,
    }


def schema_text(schema: Mapping[str, Any]) -> str:
    """How a schema file is written: two-space indent, UTF-8, one trailing newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def packaged_schema(file_name: str) -> dict[str, Any]:
    """A schema file shipped in this package (what was generated and committed)."""
    text = resources.files(__name__).joinpath(file_name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def error_location(loc: Sequence[int | str], data: Any) -> str:
    """The key path of a validation error in ``data`` (``products/0/slis/validity/value``).

    pydantic's ``loc`` also names union members (``int``, ``float``) and dict-key checks (``[key]``); the
    path stops where ``data`` does, so it names only keys a reader finds in the file. A missing key is named.
    """
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(node, Mapping) and isinstance(item, str) and item != "[key]":
            parts.append(item)
            if item not in node:
                break
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(str(item))
            node = node[item]
        else:
            break
    return "/".join(parts) or "(root)"


_MESSAGES = {
    "missing": "required key missing",
    "extra_forbidden": "unknown key (not in the schema)",
}


def first_error(exc: ValidationError, data: Any) -> tuple[str, str]:
    """(key path, message) of the first error pydantic found, for one-line error messages.

    A value that fits no member of a union gives one error per member at the same key: they are joined.
    """
    errors = exc.errors(include_url=False)
    where = error_location(errors[0]["loc"], data)
    messages: list[str] = []
    for error in errors:
        if error_location(error["loc"], data) != where:
            break
        message = _MESSAGES.get(error["type"], error["msg"])
        if messages:
            message = message.removeprefix("Input should be ")
        if message not in messages:
            messages.append(message)
    text = " or ".join(messages)
    first = errors[0]
    if first["type"] not in _MESSAGES and "input" in first and not isinstance(first["input"], dict | list):
        text += f" (found {_shown(first['input'])})"
    return where, text


def _shown(value: Any) -> str:
    try:
        shown = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."

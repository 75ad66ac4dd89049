"""Presentation helpers shared by the renderers: tolerant lookups, ordering and number formatting.

Nothing here derives a status, a budget or any other result: the report already carries them. These helpers
only choose an order to show products in and turn values into short text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from dataproducts.constants import SLI_NAMES

#: Statuses the report speaks of, worst first (the order products are shown in).
STATUS_ORDER: tuple[str, ...] = ("breached", "unknown", "at_risk", "met")
STATUS_LABELS: dict[str, str] = {
    "breached": "breached",
    "unknown": "unknown",
    "at_risk": "at risk",
    "met": "met",
}
SLI_LABELS: dict[str, str] = {
    "freshness": "Freshness",
    "availability": "Availability",
    "completeness": "Completeness",
    "validity": "Validity",
    "schema_stability": "Schema stability",
}
MISSING = "—"


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one (tolerates missing keys and ``null``)."""
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A scalar as text; ``None`` becomes the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    shown = str(value)
    if not shown.isascii():
        # JSON may carry lone surrogates ("\ud800"); they cannot be written as UTF-8, so show U+FFFD.
        shown = shown.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return shown


def status_of(value: Any) -> str:
    """A known status keyword, or ``unknown`` for anything else (a CSS class and sort key must be safe)."""
    return value if isinstance(value, str) and value in STATUS_LABELS else "unknown"


def status_label(value: Any) -> str:
    """The words for a status; an unrecognised status is shown as given."""
    if isinstance(value, str) and value in STATUS_LABELS:
        return STATUS_LABELS[value]
    return text(value) or "unknown"


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def product_sort_key(product: Mapping[str, Any]) -> tuple[int, int, float, str]:
    """Worst first: breached, unknown, at risk, met; then lowest error budget remaining; then id."""
    status = status_of(product.get("status"))
    remaining = number(obj(product.get("error_budget")).get("remaining"))
    return (
        STATUS_ORDER.index(status),
        0 if remaining is not None else 1,
        remaining if remaining is not None else 0.0,
        text(product.get("id") or product.get("name")),
    )


def products_worst_first(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    return sorted((p for p in seq(report.get("products")) if isinstance(p, dict)), key=product_sort_key)


def sli_names(slis: Mapping[str, Any]) -> list[str]:
    """The SLIs in report order (``constants.SLI_NAMES``); any other SLI a later report adds follows in its
    own order."""
    known = [name for name in SLI_NAMES if name in slis]
    return known + [name for name in slis if name not in SLI_NAMES]


def sli_label(name: str) -> str:
    return SLI_LABELS.get(name, name.replace("_", " ").capitalize())


def slis_not_met(product: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The product's SLIs whose status is anything but ``met``, worst first (ties in SLI order)."""
    slis = obj(product.get("slis"))
    found = [(name, obj(slis[name])) for name in sli_names(slis) if isinstance(slis[name], dict)]
    found = [(name, sli) for name, sli in found if sli.get("status") != "met"]
    return sorted(found, key=lambda item: STATUS_ORDER.index(status_of(item[1].get("status"))))


def _trim(value: float, places: int) -> str:
    formatted = f"{value:,.{places}f}"
    if "." in formatted:
        formatted = formatted.rstrip("0").rstrip(".")
    return "0" if formatted == "-0" else formatted


def percent(value: Any, places: int = 2) -> str:
    """A ratio (1.0 = 100%) as a percentage, trimmed of trailing zeros."""
    ratio = number(value)
    return MISSING if ratio is None else f"{_trim(ratio * 100, places)}%"


def times(value: Any) -> str:
    """A burn rate as a multiple: ``1.43×``."""
    rate = number(value)
    return MISSING if rate is None else f"{_trim(rate, 2)}×"


def count(value: Any) -> str:
    amount = number(value)
    return MISSING if amount is None else _trim(amount, 0 if amount == int(amount) else 2)


_UNIT_SUFFIX = {"hours": " h", "hour": " h", "h": " h", "minutes": " min", "seconds": " s", "days": " d"}


def measure(value: Any, unit: Any) -> str:
    """An SLI value in its unit: ratios as percentages, durations with a short suffix."""
    if value is None:
        return MISSING
    amount = number(value)
    unit_text = text(unit)
    if amount is None:
        return text(value) + (f" {unit_text}" if unit_text else "")
    if unit_text in ("ratio", "fraction"):
        return percent(amount)
    if unit_text in ("percent", "%", "pct"):
        return f"{_trim(amount, 2)}%"
    if unit_text in _UNIT_SUFFIX:
        return f"{_trim(amount, 1)}{_UNIT_SUFFIX[unit_text]}"
    if unit_text in ("count", "rows", ""):
        return count(amount) + ("" if unit_text in ("count", "") else f" {unit_text}")
    return f"{_trim(amount, 2)} {unit_text}"


_BOUNDS = {"max": "≤", "lte": "≤", "lt": "<", "min": "≥", "gte": "≥", "gt": ">", "eq": "=", "equals": "="}


def target(value: Any, unit: Any) -> str:
    """An SLI target: a number, text, or an object of bounds like ``{"max": 24}`` (shown ``≤ 24 h``)."""
    if value is None:
        return MISSING
    if isinstance(value, dict):
        parts = []
        for key, bound in value.items():
            if bound is None:
                continue
            symbol = _BOUNDS.get(str(key))
            shown = measure(bound, unit)
            parts.append(f"{symbol} {shown}" if symbol else f"{key} {shown}")
        return ", ".join(parts) or MISSING
    return measure(value, unit)


def timestamp(value: Any) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM UTC`` (other zones keep their offset); text otherwise."""
    raw = text(value)
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%d %H:%M")
    if parsed.utcoffset() == dt.timedelta(0):
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return parsed.strftime("%Y-%m-%d %H:%M %z")


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text(value)[:10])
    except ValueError:
        return None


def counts_line(summary: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The summary's counts, worst status first, skipping statuses it does not mention."""
    out: list[tuple[str, int]] = []
    for status in STATUS_ORDER:
        amount = number(summary.get(status))
        if amount is not None:
            out.append((status, int(amount)))
    return out


def owner_parts(owner: Any) -> tuple[str, str]:
    """(name, email) of an owner object; either may be empty."""
    data = obj(owner)
    name = text(data.get("name")) or text(data.get("team"))
    return name, text(data.get("email"))


def first(items: Iterable[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` items and how many were left out."""
    listed = list(items)
    return listed[:limit], max(0, len(listed) - limit)

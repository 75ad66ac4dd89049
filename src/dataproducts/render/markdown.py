"""The SLO report as chat-sized Markdown: a headline, one table row per product (worst first), then the
upcoming deprecations and schema changes. Reads only the report document; computes nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from dataproducts.render._format import (
    MISSING,
    counts_line,
    first,
    obj,
    owner_parts,
    percent,
    products_worst_first,
    seq,
    sli_label,
    slis_not_met,
    status_label,
    status_of,
    text,
    timestamp,
)
from dataproducts.render.safe import md_code, md_escape

EMOJI = {"breached": "🔴", "unknown": "⚪", "at_risk": "🟡", "met": "🟢"}
#: Longest reason shown for one SLI: the row stays one line in a chat window; the HTML has the full text.
REASON_CHARS = 90
#: Deprecations and schema changes listed before "and N more".
LIST_LIMIT = 5


def shorten(value: Any, limit: int = REASON_CHARS) -> str:
    flat = " ".join(text(value).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def status_md(value: Any) -> str:
    return f"{EMOJI[status_of(value)]} {md_escape(status_label(value))}"


def owner_md(owner: Any) -> str:
    name, email = owner_parts(owner)
    if email:
        return f"[{md_escape(name or email)}](mailto:{quote(email, safe='@.+-_')})"
    return md_escape(name) or MISSING


def _not_met(product: dict[str, Any]) -> str:
    # SLIs sharing a status and a reason (say, all unknown because the model was skipped) share one entry.
    grouped: dict[tuple[str, str], list[str]] = {}
    for name, sli in slis_not_met(product):
        reason = shorten(text(sli.get("reason")).strip().rstrip("."))
        grouped.setdefault((status_label(sli.get("status")), reason), []).append(sli_label(name))
    parts = []
    for (status, reason), names in grouped.items():
        label = f"**{md_escape(', '.join(names))}** {md_escape(status)}"
        parts.append(f"{label}: {md_escape(reason)}" if reason else label)
    if parts:
        return "; ".join(parts)
    if status_of(product.get("status")) != "met" and product.get("status_reason"):
        return md_escape(shorten(product.get("status_reason")))
    return MISSING


def _product_row(product: dict[str, Any]) -> str:
    budget = obj(product.get("error_budget"))
    cells = [
        status_md(product.get("status")),
        md_code(product.get("id") or product.get("name")),
        _not_met(product),
        percent(budget.get("remaining"), places=0),
        owner_md(product.get("owner")),
    ]
    return "| " + " | ".join(cells) + " |"


def _deprecation(item: dict[str, Any]) -> str:
    version = text(item.get("version"))
    product = md_code(item.get("product")) + (f" v{md_escape(version)}" if version else "")
    when = md_escape(item.get("deprecation_date")) or "no date"
    days = item.get("days_left")
    if isinstance(days, int) and not isinstance(days, bool):
        when += f" (in {days} days)" if days >= 0 else f" ({-days} days ago)"
    consumers = []
    for exposure in seq(item.get("exposures")):
        exposure = obj(exposure)
        owner = owner_md(exposure.get("owner"))
        consumers.append(md_escape(exposure.get("name")) + (f" ({owner})" if owner != MISSING else ""))
    line = f"- {product} retires {when}"
    return line + (f"; still used by {', '.join(consumers)}" if consumers else "; no known consumers")


def _schema_change(item: dict[str, Any]) -> str:
    change = md_escape(text(item.get("change")).replace("_", " ")) or "changed"
    before, after = item.get("before"), item.get("after")
    if before is not None and after is not None:
        detail = f": {md_code(before)} → {md_code(after)}"
    elif after is not None:
        detail = f" ({md_code(after)})"
    elif before is not None:
        detail = f" (was {md_code(before)})"
    else:
        detail = ""
    return f"- {md_code(item.get('product'))}: {change} {md_code(item.get('column'))}{detail}"


def _listed(title: str, items: list[Any], line: Any) -> list[str]:
    rows = [item for item in items if isinstance(item, dict)]
    if not rows:
        return []
    shown, left = first(rows, LIST_LIMIT)
    out = ["", f"**{title}**"] + [line(item) for item in shown]
    if left:
        out.append(f"- … and {left} more in the full report")
    return out


def render_markdown(report: dict[str, Any]) -> str:
    """Render the SLO report document as short Markdown for a chat channel."""
    overall = report.get("overall_status")
    as_of = md_escape(report.get("as_of_date") or timestamp(report.get("as_of"))) or "unknown date"
    lines = [
        f"### {EMOJI[status_of(overall)]} Data product SLOs: {md_escape(status_label(overall))} — as of {as_of}"
    ]

    facts = [f"{n} {status_label(status)}" for status, n in counts_line(obj(report.get("summary")))]
    if report.get("window_days") is not None:
        facts.append(f"{md_escape(report.get('window_days'))}-day window")
    if report.get("run_id") or report.get("invocation_id"):
        facts.append(f"run {md_code(report.get('run_id') or report.get('invocation_id'))}")
    if report.get("partial"):
        facts.append("**partial run**: " + ", ".join(md_code(s) for s in seq(report.get("selection"))))
    if facts:
        lines.append(" · ".join(facts))

    products = products_worst_first(report)
    if products:
        lines += [
            "",
            "| Status | Product | SLIs not met (why) | Budget left | Owner |",
            "|---|---|---|--:|---|",
        ]
        lines += [_product_row(product) for product in products]
    else:
        lines += ["", "_No data products in this report._"]

    lines += _listed("Upcoming deprecations", seq(report.get("deprecations")), _deprecation)
    lines += _listed("Schema changes", seq(report.get("schema_changes")), _schema_change)
    return "\n".join(lines) + "\n"

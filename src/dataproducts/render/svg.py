"""Inline SVG built server-side: status icons and the per-product trend chart.

The chart is a grid: one row for the product's overall status and one per SLI, one column per day of the
window (oldest left). Each cell differs by colour *and* by mark (a check, a bar, a cross, a question mark,
an empty outline for a day without a run), so it reads without colour; every cell has a tooltip title and
the chart has an accessible title and description.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dataproducts.render._format import (
    obj,
    parse_date,
    seq,
    sli_label,
    sli_names,
    status_label,
    status_of,
    text,
)
from dataproducts.render.safe import html_text as escape

CELL = 16  # pitch of one day, in viewBox units
BOX = 13  # drawn square inside the pitch
LABEL_H = 18  # a row's label sits above its cells (so the labels stay legible on a phone)
ROW_H = LABEL_H + BOX + 5
AXIS_H = 20


def _mark(status: str, x: float, y: float, *, icon: bool = False) -> str:
    """The mark drawn on a cell of ``status``: none on a met day in the chart, so the problems stand out."""
    cx, cy = x + BOX / 2, y + BOX / 2
    if status == "met":
        return f'<path class="mk" d="M{cx - 3.4:g} {cy + 0.2:g}l2.3 2.4 4.6-5"/>' if icon else ""
    if status == "at_risk":
        return f'<path class="mk" d="M{cx - 3.5:g} {cy:g}h7"/>'
    if status == "breached":
        return f'<path class="mk" d="M{cx - 3:g} {cy - 3:g}l6 6m0-6l-6 6"/>'
    if status == "unknown":
        return f'<text class="mk-q" x="{cx:g}" y="{cy + 3.6:g}" text-anchor="middle">?</text>'  # fmt: skip
    return ""


def icon(status: Any) -> str:
    """A 1em status icon (decorative: the status word always sits next to it)."""
    key = status_of(status)
    return (
        f'<svg class="icon" viewBox="0 0 {BOX} {BOX}" width="14" height="14" aria-hidden="true" '
        f'focusable="false"><rect class="c-{key}" width="{BOX}" height="{BOX}" rx="3"/>{_mark(key, 0, 0, icon=True)}</svg>'
    )


def _columns(trend: list[dict[str, Any]], as_of_date: Any, window_days: Any) -> list[tuple[str, Any]]:
    """(date text, entry or None) per column: the whole window by date when the entries fit in it, so a day
    without a run shows as a gap; otherwise just the entries in their order."""
    end = parse_date(as_of_date)
    days = window_days if isinstance(window_days, int) and not isinstance(window_days, bool) else None
    by_date = {text(entry.get("date"))[:10]: entry for entry in trend}
    if end is not None and days and 0 < days <= 366 and len(by_date) == len(trend):
        window = [(end - dt.timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
        if set(by_date) <= set(window):
            return [(day, by_date.get(day)) for day in window]
    return [(text(entry.get("date")), entry) for entry in trend]


def trend_chart(product: dict[str, Any], as_of_date: Any, window_days: Any, chart_id: str) -> str:
    """The product's trend over the window as an inline SVG (or a short note when there is no trend)."""
    # a missed night (no run at all) is drawn as a day without a run
    trend = [
        entry
        for entry in seq(product.get("trend"))
        if isinstance(entry, dict) and entry.get("status") != "missed"
    ]
    name = text(product.get("id") or product.get("name")) or "this product"
    if not trend:
        return f'<p class="muted">No trend recorded for {escape(name)} yet.</p>'

    columns = _columns(trend, as_of_date, window_days)
    sli_keys: dict[str, None] = {}
    for entry in trend:
        sli_keys.update(dict.fromkeys(sli_names(obj(entry.get("slis")))))
    rows: list[tuple[str, str | None]] = [("Overall", None)] + [(sli_label(k), k) for k in sli_keys]

    width = len(columns) * CELL
    height = len(rows) * ROW_H + AXIS_H
    not_met = []
    for day, entry in columns:
        if entry is None:
            not_met.append(f"{day}: no run")
        elif entry.get("status") != "met":
            not_met.append(f"{day}: {status_label(entry.get('status'))}")
    first_day, last_day = columns[0][0], columns[-1][0]
    title = f"Daily SLO status of {name}, {first_day} to {last_day}"
    desc = (
        f"{len(columns)} days. Days not met: {'; '.join(not_met)}."
        if not_met
        else f"{len(columns)} days, every day met."
    )

    out = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for r, (label, key) in enumerate(rows):
        top = r * ROW_H
        out.append(f'<text class="lbl" x="0" y="{top + LABEL_H - 5}">{escape(label)}</text>')
        for c, (day, entry) in enumerate(columns):
            x, y = c * CELL, top + LABEL_H
            if entry is None:
                status_raw: Any = None
                css = "none"
            else:
                status_raw = entry.get("status") if key is None else obj(entry.get("slis")).get(key)
                css = status_of(status_raw) if status_raw is not None else "none"
            shown = (
                "no run"
                if entry is None
                else ("not reported" if status_raw is None else status_label(status_raw))
            )
            tip = f"{day} · {label}: {shown}"
            out.append(
                f'<g><title>{escape(tip)}</title><rect class="c-{css}" x="{x}" y="{y}" width="{BOX}" '
                f'height="{BOX}" rx="2"/>{_mark(css, x, y)}</g>'
                if css != "met"
                else f'<rect class="c-met" x="{x}" y="{y}" width="{BOX}" height="{BOX}" rx="2">'
                f"<title>{escape(tip)}</title></rect>"
            )
    axis_y = len(rows) * ROW_H + AXIS_H - 4
    out.append(f'<text class="axis" x="0" y="{axis_y}">{escape(first_day)}</text>')
    out.append(
        f'<text class="axis" x="{width - (CELL - BOX)}" y="{axis_y}" text-anchor="end">{escape(last_day)}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def legend() -> str:
    items = [("met", "met"), ("at_risk", "at risk"), ("breached", "breached"), ("unknown", "unknown")]
    parts = [f"<li>{icon(key)} {escape(label)}</li>" for key, label in items]
    parts.append(
        f'<li><svg class="icon" viewBox="0 0 {BOX} {BOX}" width="14" height="14" aria-hidden="true">'
        f'<rect class="c-none" width="{BOX}" height="{BOX}" rx="3"/></svg> no run</li>'
    )
    return '<ul class="legend" aria-label="Legend">' + "".join(parts) + "</ul>"

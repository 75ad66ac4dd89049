"""The SLO report as one self-contained HTML page: inline CSS and SVG, no script, no external resource.

Every value taken from the report goes through ``render.safe.html_text`` (``_e``) before it is placed in the
page, and only http(s) and mailto links (and the relative links the runner builds to dbt docs and Data Docs)
become hyperlinks (``render.safe.safe_href``). A Content-Security-Policy forbids scripts and
external loads as a second line of defence. Reads only the report document; computes nothing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from dataproducts.render._format import (
    MISSING,
    count,
    counts_line,
    measure,
    obj,
    owner_parts,
    percent,
    products_worst_first,
    seq,
    sli_label,
    sli_names,
    status_label,
    status_of,
    target,
    text,
    times,
    timestamp,
)
from dataproducts.render.safe import html_text as _e
from dataproducts.render.safe import safe_href
from dataproducts.render.svg import icon, legend, trend_chart

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def inline_markdown(value: Any) -> str:
    """dbt descriptions are Markdown: escape first, then turn only `code` and **bold** into tags."""
    escaped = _e(value)
    escaped = _CODE_SPAN.sub(r"<code>\1</code>", escaped)
    return _STRONG.sub(r"<strong>\1</strong>", escaped)


_EXTERNAL = re.compile(r"(?i)https?:|[/\\]{2}")


def link(url: Any, label: str, *, cls: str = "", relative: bool = False) -> str:
    """An anchor with escaped text, or the plain escaped text when the URL is missing or unsafe (see
    ``safe_href``; ``relative`` for the links the runner builds, never for a URL from the project)."""
    href = safe_href(url, relative=relative)
    if href is None:
        return _e(label)
    extra = f' class="{cls}"' if cls else ""
    external = ' rel="noopener noreferrer"' if _EXTERNAL.match(href) else ""
    return f'<a href="{_e(href)}"{extra}{external}>{_e(label)}</a>'


def owner_html(owner: Any) -> str:
    name, email = owner_parts(owner)
    if email:
        return f'<a href="mailto:{_e(quote(email, safe="@.+-_"))}">{_e(name or email)}</a>'
    return _e(name) if name else f'<span class="muted">{MISSING}</span>'


def badge(status: Any, *, big: bool = False) -> str:
    key = status_of(status)
    size = " badge-big" if big else ""
    return f'<span class="badge s-{key}{size}">{icon(key)}<span>{_e(status_label(status))}</span></span>'


def anchor_id(product: dict[str, Any], index: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", text(product.get("id") or product.get("name"))).strip("-")
    return f"p{index}-{slug}" if slug else f"p{index}"


def _cell(label: str, content: str, cls: str = "") -> str:
    extra = f' class="{cls}"' if cls else ""
    return f'<td data-label="{_e(label)}"{extra}>{content}</td>'


# --------------------------------------------------------------------------------------------- sections


def _header(report: dict[str, Any]) -> str:
    overall = report.get("overall_status")
    as_of = report.get("as_of_date") or timestamp(report.get("as_of")) or "unknown date"
    facts = []
    if report.get("as_of"):
        facts.append(f"Data as of <strong>{_e(timestamp(report.get('as_of')))}</strong>")
    if report.get("window_days") is not None:
        facts.append(f"{_e(report.get('window_days'))}-day window")
    if report.get("generated_at"):
        facts.append(f"generated {_e(timestamp(report.get('generated_at')))}")
    if report.get("run_id") or report.get("invocation_id"):
        facts.append(f"run <code>{_e(report.get('run_id') or report.get('invocation_id'))}</code>")
    if report.get("partial"):
        chosen = ", ".join(f"<code>{_e(s)}</code>" for s in seq(report.get("selection")))
        facts.append(f"<strong>partial run</strong>: {chosen}")
    counts = "".join(
        f'<li class="count s-{status}">{icon(status)}<strong>{n}</strong> {_e(status_label(status))}</li>'
        for status, n in counts_line(obj(report.get("summary")))
    )
    project = _e(report.get("project") or "Data products")
    return (
        f'<header class="page-head s-{status_of(overall)}"><div class="wrap">'
        f'<p class="eyebrow">{project} · nightly SLO report</p>'
        f'<h1>Data product SLOs <span class="nowrap">as of {_e(as_of)}</span></h1>'
        f'<div class="overall">Overall {badge(overall, big=True)}</div>'
        f'<p class="facts">{" · ".join(facts)}</p>'
        + (f'<ul class="counts" aria-label="Products by status">{counts}</ul>' if counts else "")
        + "</div></header>"
    )


def _overview(products: list[dict[str, Any]], ids: list[str]) -> str:
    if not products:
        return '<section class="wrap"><p class="muted">No data products in this report.</p></section>'
    rows = []
    for product, pid in zip(products, ids, strict=True):
        budget = obj(product.get("error_budget"))
        not_met = [
            sli_label(name)
            for name, sli in obj(product.get("slis")).items()
            if isinstance(sli, dict) and sli.get("status") != "met"
        ]
        rows.append(
            "<tr>"
            + _cell("Status", badge(product.get("status")), "ov-status")
            + _cell(
                "Product",
                f'<a href="#{pid}"><code>{_e(product.get("id") or product.get("name"))}</code></a>',
                "ov-product",
            )
            + _cell(
                "Not met",
                _e(", ".join(not_met)) if not_met else f'<span class="muted">{MISSING}</span>',
                "ov-notmet",
            )
            + _cell("Budget left", _e(percent(budget.get("remaining"), places=0)), "num ov-budget")
            + _cell("Owner", owner_html(product.get("owner")), "ov-owner")
            + "</tr>"
        )
    return (
        '<section class="wrap" aria-labelledby="overview-h"><h2 id="overview-h">Products, worst first</h2>'
        '<table class="stack overview"><thead><tr><th scope="col">Status</th><th scope="col">Product</th>'
        '<th scope="col">SLIs not met</th><th scope="col" class="num">Budget left</th>'
        f'<th scope="col">Owner</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def _sli_table(product: dict[str, Any]) -> str:
    slis = obj(product.get("slis"))
    per_sli = obj(obj(product.get("error_budget")).get("per_sli"))
    if not slis:
        return '<p class="muted">No SLIs reported.</p>'
    rows = []
    for name in sli_names(slis):
        sli = slis[name]
        if not isinstance(sli, dict):
            rows.append(
                "<tr>"
                + _cell("SLI", _e(sli_label(name)), "sli-name")
                + _cell("Status", badge("unknown"), "sli-status")
                + _cell("Value", MISSING, "num sli-value")
                + _cell("Target", MISSING, "num sli-target")
                + _cell(
                    "Budget left",
                    _e(percent(obj(per_sli.get(name)).get("remaining"), places=0)),
                    "num sli-budget",
                )
                + _cell("Reason", '<span class="muted">Not reported.</span>', "sli-reason")
                + "</tr>"
            )
            continue
        unit = sli.get("unit")
        rows.append(
            f'<tr class="row-{status_of(sli.get("status"))}">'
            + _cell("SLI", _e(sli_label(name)), "sli-name")
            + _cell("Status", badge(sli.get("status")), "sli-status")
            + _cell("Value", _e(measure(sli.get("value"), unit)), "num sli-value")
            + _cell("Target", _e(target(sli.get("target"), unit)), "num sli-target")
            + _cell(
                "Budget left",
                _e(percent(obj(per_sli.get(name)).get("remaining"), places=0)),
                "num sli-budget",
            )
            + _cell("Reason", _e(sli.get("reason")) or f'<span class="muted">{MISSING}</span>', "sli-reason")
            + "</tr>"
        )
    return (
        '<table class="stack slis"><thead><tr><th scope="col">SLI</th><th scope="col">Status</th>'
        '<th scope="col" class="num">Value</th><th scope="col" class="num">Target</th>'
        '<th scope="col" class="num">Budget left</th><th scope="col">Reason</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _budget(product: dict[str, Any]) -> str:
    budget = obj(product.get("error_budget"))
    if not budget:
        return '<p class="muted">No error budget reported.</p>'
    remaining = budget.get("remaining")
    bar = ""
    if isinstance(remaining, int | float) and not isinstance(remaining, bool):
        fill = max(0.0, min(1.0, float(remaining))) * 100
        state = "out" if remaining <= 0 else ("low" if remaining < 0.25 else "ok")
        bar = f'<div class="bar bar-{state}" aria-hidden="true"><span style="width:{fill:.1f}%"></span></div>'
    runs = budget.get("runs")
    bad = budget.get("bad_runs")
    runs_text = f"{count(bad)} bad of {count(runs)} runs" if runs is not None else MISSING
    objective = budget.get("objective")
    stats = [
        ("Budget left", percent(remaining, places=0), "big"),
        ("Burn rate", times(budget.get("burn_rate")), ""),
        ("Attainment", percent(budget.get("attainment")), ""),
        ("Objective", percent(objective), ""),
        ("Runs", runs_text, ""),
    ]
    cells = "".join(f'<div class="stat {cls}"><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>' for k, v, cls in stats)
    if isinstance(remaining, int | float) and not isinstance(remaining, bool) and remaining <= 0:
        cells = cells.replace("</dd>", ' <span class="exhausted">exhausted</span></dd>', 1)
    return f'<dl class="stats">{cells}</dl>{bar}'


def _samples(samples: list[Any]) -> str:
    if not samples:
        return ""
    shown = []
    for value in samples:
        if value is None:
            shown.append('<code class="sample null">null</code>')
        else:
            shown.append(f'<code class="sample">{_e(value)}</code>')
    return f'<div class="samples"><span class="muted">Samples</span> {" ".join(shown)}</div>'


def _failing_checks(product: dict[str, Any]) -> str:
    checks = [check for check in seq(product.get("failing_checks")) if isinstance(check, dict)]
    if not checks:
        return ""
    items = []
    for check in checks:
        severity = text(check.get("severity")) or "info"
        sev_class = severity if severity in ("critical", "warning", "info") else "info"
        what = f"<code>{_e(check.get('name'))}</code>"
        if check.get("column"):
            what += f" on <code>{_e(check.get('column'))}</code>"
        meta = [_e(text(check.get("source")).upper()), _e(check.get("status"))]
        unexpected, total = check.get("unexpected_count"), check.get("element_count")
        if unexpected is not None:
            rows = f"{count(unexpected)} unexpected" + (
                f" of {count(total)} rows" if total is not None else ""
            )
            meta.append(_e(rows))
        message = f'<p class="msg">{_e(check.get("message"))}</p>' if check.get("message") else ""
        items.append(
            f'<li class="check sev-{sev_class}"><div class="check-head">'
            f'<span class="sev">{_e(severity)}</span> {what}</div>'
            f'<div class="check-meta">{" · ".join(m for m in meta if m)}</div>'
            f"{message}{_samples(seq(check.get('samples')))}</li>"
        )
    return (
        f'<h4>Failing checks <span class="muted">({len(checks)})</span></h4>'
        f'<ul class="checks">{"".join(items)}</ul>'
    )


def _change_text(change: dict[str, Any]) -> str:
    kind = _e(text(change.get("change")).replace("_", " ")) or "changed"
    before, after = change.get("before"), change.get("after")
    if before is not None and after is not None:
        detail = f": <code>{_e(before)}</code> → <code>{_e(after)}</code>"
    elif after is not None:
        detail = f" <code>{_e(after)}</code>"
    elif before is not None:
        detail = f" (was <code>{_e(before)}</code>)"
    else:
        detail = ""
    return f"{kind} <code>{_e(change.get('column'))}</code>{detail}"


def _product_extras(product: dict[str, Any]) -> str:
    parts = []
    links = obj(product.get("links"))
    buttons = [
        link(links.get(key), label, cls="btn", relative=True)
        for key, label in (("dbt_docs", "dbt docs"), ("data_docs", "Data Docs (GX)"))
        if safe_href(links.get(key), relative=True)
    ]
    if buttons:
        parts.append(f'<p class="links">{"".join(buttons)}</p>')
    changes = [c for c in seq(product.get("schema_changes")) if isinstance(c, dict)]
    if changes:
        parts.append(
            '<h4>Schema changes</h4><ul class="plain">'
            + "".join(f"<li>{_change_text(c)}</li>" for c in changes)
            + "</ul>"
        )
    exposures = [x for x in seq(product.get("exposures")) if isinstance(x, dict)]
    if exposures:
        items = []
        for exposure in exposures:
            kind = f' <span class="tag">{_e(exposure.get("type"))}</span>' if exposure.get("type") else ""
            items.append(
                f"<li>{link(exposure.get('url'), text(exposure.get('name')) or 'unnamed')}{kind}"
                f" · {owner_html(exposure.get('owner'))}</li>"
            )
        parts.append(f'<h4>Used by</h4><ul class="plain">{"".join(items)}</ul>')
    return "".join(parts)


def _product_card(product: dict[str, Any], pid: str, report: dict[str, Any]) -> str:
    status = status_of(product.get("status"))
    title = _e(product.get("name") or product.get("id") or "unnamed product")
    ident = []
    if product.get("id"):
        ident.append(f"<code>{_e(product.get('id'))}</code>")
    if product.get("relation") and product.get("relation") != product.get("id"):
        ident.append(f"relation <code>{_e(product.get('relation'))}</code>")
    if product.get("domain"):
        ident.append(f"domain {_e(product.get('domain'))}")
    owner = obj(product.get("owner"))
    reason = (
        f'<p class="reason">{_e(product.get("status_reason"))}</p>' if product.get("status_reason") else ""
    )
    description = (
        f'<p class="desc">{inline_markdown(product.get("description"))}</p>'
        if product.get("description")
        else ""
    )
    chart = trend_chart(product, report.get("as_of_date"), report.get("window_days"), f"{pid}-trend")
    return (
        f'<article class="card s-{status}" id="{pid}" data-product="{_e(product.get("id"))}" '
        f'aria-labelledby="{pid}-h">'
        f'<div class="card-head"><div><h3 id="{pid}-h">{title}</h3>'
        f'<p class="ident">{" · ".join(ident)}</p></div>{badge(product.get("status"), big=True)}</div>'
        f"{reason}{description}"
        f'<p class="owner">Owner: {owner_html(owner)}'
        + (f' <span class="muted">({_e(owner.get("team"))})</span>' if owner.get("team") else "")
        + "</p>"
        f'<div class="grid"><section><h4>Error budget</h4>{_budget(product)}</section>'
        f'<section><h4>Trend</h4><figure class="chart">{chart}</figure></section></div>'
        f"<h4>Service level indicators</h4>{_sli_table(product)}"
        f"{_failing_checks(product)}{_product_extras(product)}</article>"
    )


def _deprecations(report: dict[str, Any]) -> str:
    items = [d for d in seq(report.get("deprecations")) if isinstance(d, dict)]
    if not items:
        body = '<p class="muted">No upcoming deprecations.</p>'
    else:
        rows = []
        for item in items:
            days = item.get("days_left")
            soon = isinstance(days, int) and not isinstance(days, bool) and days <= 30
            consumers = []
            for exposure in seq(item.get("exposures")):
                exposure = obj(exposure)
                consumers.append(
                    f"{link(exposure.get('url'), text(exposure.get('name')) or 'unnamed')}"
                    f" · {owner_html(exposure.get('owner'))}"
                )
            version = f" v{_e(item.get('version'))}" if item.get("version") is not None else ""
            rows.append(
                "<tr>"
                + _cell("Product", f"<code>{_e(item.get('product'))}</code>{version}")
                + _cell("Retires", _e(item.get("deprecation_date")) or MISSING)
                + _cell(
                    "Days left",
                    (f'<strong class="soon">{_e(days)}</strong>' if soon else _e(days)) or MISSING,
                    "num",
                )
                + _cell(
                    "Still used by (owner)",
                    "<br>".join(consumers) if consumers else '<span class="muted">no known consumers</span>',
                )
                + "</tr>"
            )
        body = (
            '<table class="stack boxed"><thead><tr><th scope="col">Product</th><th scope="col">Retires</th>'
            '<th scope="col" class="num">Days left</th><th scope="col">Still used by (owner)</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return f'<section class="wrap" aria-labelledby="dep-h"><h2 id="dep-h">Upcoming deprecations</h2>{body}</section>'


def _schema_changes(report: dict[str, Any]) -> str:
    items = [c for c in seq(report.get("schema_changes")) if isinstance(c, dict)]
    if not items:
        body = '<p class="muted">No schema changes.</p>'
    else:
        body = (
            '<ul class="plain changes">'
            + "".join(f"<li><code>{_e(c.get('product'))}</code>: {_change_text(c)}</li>" for c in items)
            + "</ul>"
        )
    return f'<section class="wrap" aria-labelledby="sc-h"><h2 id="sc-h">Schema changes</h2>{body}</section>'


def _footer(report: dict[str, Any]) -> str:
    bits = []
    if report.get("schema_version"):
        bits.append(f"report schema {_e(report.get('schema_version'))}")
    if report.get("invocation_id"):
        bits.append(f"invocation <code>{_e(report.get('invocation_id'))}</code>")
    if report.get("generated_at"):
        bits.append(f"generated {_e(timestamp(report.get('generated_at')))}")
    return f'<footer class="wrap muted">{" · ".join(bits)}</footer>'


def render_html(report: dict[str, Any]) -> str:
    """Render the SLO report document as one self-contained, responsive HTML page."""
    products = products_worst_first(report)
    ids = [anchor_id(product, i) for i, product in enumerate(products, start=1)]
    as_of = report.get("as_of_date") or timestamp(report.get("as_of"))
    title = f"Data product SLOs: {status_label(report.get('overall_status'))}" + (
        f" — {as_of}" if as_of else ""
    )
    cards = "".join(_product_card(p, pid, report) for p, pid in zip(products, ids, strict=True))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"{_header(report)}<main>{_overview(products, ids)}"
        f'<section class="wrap" aria-labelledby="products-h"><div class="section-head">'
        f'<h2 id="products-h">Data products</h2>{legend()}</div>{cards}</section>'
        f"{_deprecations(report)}{_schema_changes(report)}</main>{_footer(report)}</body></html>\n"
    )


STYLE = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--link:#0550ae;--code:#eff2f5;
--met:#1a7f37;--met-bg:#dafbe1;--at_risk:#9a6700;--at_risk-bg:#fff8c5;--at_risk-fill:#bf8700;
--breached:#cf222e;--breached-bg:#ffebe9;--unknown:#59636e;--unknown-bg:#eaeef2;--unknown-fill:#818b98;
--none:#d1d9e0;--mark:#fff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;
--link:#58a6ff;--code:#262c36;--met:#3fb950;--met-bg:#12261e;--at_risk:#d29922;--at_risk-bg:#272115;
--at_risk-fill:#bb8009;--breached:#f85149;--breached-bg:#2d1517;--unknown:#9198a1;--unknown-bg:#212830;
--unknown-fill:#656c76;--none:#3d444d;--mark:#0d1117}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.5;font-size:15px;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",
"DejaVu Sans",sans-serif;overflow-wrap:break-word}
code{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",
monospace;font-size:.86em;background:var(--code);border-radius:4px;padding:.08em .35em;overflow-wrap:anywhere}
a{color:var(--link);text-underline-offset:2px}
h1,h2,h3,h4{line-height:1.25;margin:0}
h2{font-size:1.15rem;margin:2rem 0 .75rem}
h3{font-size:1.2rem}
h4{font-size:.78rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:1.25rem 0 .5rem}
.wrap{max-width:1080px;margin:0 auto;padding:0 20px}
.muted{color:var(--muted)}
.nowrap{white-space:nowrap}
.page-head{background:var(--card);border-bottom:1px solid var(--line);border-top:6px solid var(--unknown);
padding:20px 0 18px}
.page-head.s-met{border-top-color:var(--met)}.page-head.s-at_risk{border-top-color:var(--at_risk)}
.page-head.s-breached{border-top-color:var(--breached)}
.eyebrow{margin:0 0 .25rem;color:var(--muted);font-size:.85rem;letter-spacing:.02em}
h1{font-size:1.6rem;font-weight:650}
.overall{margin:.6rem 0 .2rem;display:flex;align-items:center;gap:.5rem;font-weight:600}
.facts{margin:.4rem 0 .8rem;color:var(--muted);font-size:.9rem}
.counts{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:8px}
.count{display:flex;align-items:center;gap:6px;padding:4px 12px 4px 8px;border-radius:999px;
border:1px solid var(--line);font-size:.9rem}
.count strong{font-size:1.05rem}
.count.s-met{background:var(--met-bg)}.count.s-at_risk{background:var(--at_risk-bg)}
.count.s-breached{background:var(--breached-bg)}.count.s-unknown{background:var(--unknown-bg)}
.icon{flex:none;vertical-align:-2px}
.icon .c-none{fill:none;stroke:var(--none);stroke-width:1.5}
.c-met{fill:var(--met)}.c-at_risk{fill:var(--at_risk-fill)}.c-breached{fill:var(--breached)}
.c-unknown{fill:var(--unknown-fill)}.c-none{fill:none;stroke:var(--none);stroke-width:1.2;stroke-dasharray:2 2}
.mk{fill:none;stroke:var(--mark);stroke-width:1.9;stroke-linecap:round;stroke-linejoin:round}
.mk-q{fill:var(--mark);font:700 10px system-ui,"DejaVu Sans",sans-serif}
.badge{display:inline-flex;align-items:center;gap:5px;padding:1px 9px 1px 5px;border-radius:999px;
font-size:.82rem;font-weight:600;white-space:nowrap;border:1px solid transparent}
.badge-big{font-size:.95rem;padding:3px 12px 3px 7px}
.badge.s-met{background:var(--met-bg);color:var(--met);border-color:var(--met)}
.badge.s-at_risk{background:var(--at_risk-bg);color:var(--at_risk);border-color:var(--at_risk)}
.badge.s-breached{background:var(--breached-bg);color:var(--breached);border-color:var(--breached)}
.badge.s-unknown{background:var(--unknown-bg);color:var(--unknown);border-color:var(--unknown)}
table{width:100%;border-collapse:collapse;background:var(--card);font-size:.9rem}
th{text-align:left;font-weight:600;color:var(--muted);font-size:.78rem;text-transform:uppercase;
letter-spacing:.04em;border-bottom:1px solid var(--line);padding:8px 10px}
td{border-bottom:1px solid var(--line);padding:8px 10px;vertical-align:top}
tr:last-child td{border-bottom:0}
.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.overview,.slis,.boxed{border-collapse:separate;border-spacing:0}
.boxed{border:1px solid var(--line);border-radius:10px}
.overview{border:1px solid var(--line);border-radius:10px}
.overview td{vertical-align:middle}
.section-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:4px 16px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0 0 .75rem;padding:0;
font-size:.82rem;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:5px}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--unknown);
border-radius:10px;padding:16px 20px 18px;margin:0 0 18px}
.card.s-met{border-left-color:var(--met)}.card.s-at_risk{border-left-color:var(--at_risk)}
.card.s-breached{border-left-color:var(--breached)}
.card-head{display:flex;justify-content:space-between;align-items:flex-start;gap:12px}
.ident{margin:.2rem 0 0;color:var(--muted);font-size:.85rem}
.card p{margin:.5rem 0}
.reason{font-weight:600}
.owner{font-size:.92rem}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.35fr);gap:8px 28px}
.stats{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px 16px;margin:0}
.stat dt{font-size:.78rem;color:var(--muted)}
.stat dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
.stat.big{grid-column:1/-1}.stat.big dd{font-size:1.6rem;line-height:1.2}
.bar{height:8px;border-radius:4px;background:var(--unknown-bg);margin-top:10px;overflow:hidden}
.bar span{display:block;height:100%;background:var(--met)}
.bar-low span{background:var(--at_risk-fill)}.bar-out{background:var(--breached-bg);outline:1px solid var(--breached)}
.chart{margin:0}
.trend{display:block;width:100%;max-width:480px;height:auto}
.trend .lbl{font:600 12px system-ui,"DejaVu Sans",sans-serif;fill:var(--muted)}
.trend .axis{font:11px system-ui,"DejaVu Sans",sans-serif;fill:var(--muted)}
.c-met{opacity:.8}.icon .c-met{opacity:1}
.exhausted{font-size:.8rem;font-weight:600;color:var(--breached);text-transform:uppercase;letter-spacing:.04em}
.slis{border:1px solid var(--line);border-radius:8px}
.slis .sli-name{font-weight:600;white-space:nowrap}
.row-breached td:first-child{box-shadow:inset 3px 0 var(--breached)}
.row-at_risk td:first-child{box-shadow:inset 3px 0 var(--at_risk-fill)}
.row-unknown td:first-child{box-shadow:inset 3px 0 var(--unknown-fill)}
.checks{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:minmax(0,1fr);gap:8px}
.msg,.reason,td,.plain li{overflow-wrap:anywhere}
.check{border:1px solid var(--line);border-left:4px solid var(--unknown-fill);border-radius:8px;padding:8px 12px}
.check.sev-critical{border-left-color:var(--breached)}.check.sev-warning{border-left-color:var(--at_risk-fill)}
.check-head{font-weight:600}
.check-meta{font-size:.85rem;color:var(--muted)}
.sev{display:inline-block;font-size:.72rem;text-transform:uppercase;letter-spacing:.05em;padding:0 6px;
border-radius:4px;background:var(--unknown-bg);color:var(--unknown);margin-right:4px;vertical-align:1px}
.sev-critical .sev{background:var(--breached-bg);color:var(--breached)}
.sev-warning .sev{background:var(--at_risk-bg);color:var(--at_risk)}
.msg{font-size:.9rem}
.samples{display:flex;flex-wrap:wrap;gap:6px;align-items:center;font-size:.85rem;margin-top:4px}
.sample{white-space:pre-wrap}
.sample.null{font-style:italic;color:var(--muted)}
.links{display:flex;flex-wrap:wrap;gap:8px;margin-top:1rem!important}
.btn{display:inline-block;padding:5px 12px;border:1px solid var(--line);border-radius:6px;text-decoration:none;
font-size:.88rem;font-weight:600;background:var(--bg)}
.btn:hover,.btn:focus{border-color:var(--link)}
.plain{margin:0;padding-left:1.1rem}
.plain li{margin:.15rem 0}
.tag{font-size:.75rem;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 5px}
.soon{color:var(--breached)}
footer.wrap{padding-top:28px;padding-bottom:40px;font-size:.82rem}
a:focus-visible{outline:2px solid var(--link);outline-offset:2px}
@media (max-width:760px){.grid{grid-template-columns:minmax(0,1fr)}}
@media (max-width:640px){
body{font-size:14.5px}.wrap{padding:0 12px}h1{font-size:1.3rem}.card{padding:12px 14px 14px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.stack tr{border-bottom:1px solid var(--line);padding:6px 0}
table.stack tr:last-child{border-bottom:0}
table.stack td{border:0;padding:3px 12px;display:grid;grid-template-columns:7.5rem minmax(0,1fr);gap:8px;
text-align:left;white-space:normal}
table.stack td::before{content:attr(data-label);font-size:.75rem;font-weight:600;color:var(--muted);
text-transform:uppercase;letter-spacing:.04em;padding-top:2px}
.row-breached td:first-child,.row-at_risk td:first-child,.row-unknown td:first-child{box-shadow:none}
.card-head{flex-direction:column-reverse;gap:6px}
.trend .lbl{font-size:17px}.trend .axis{font-size:14px}
table.stack.overview tr,table.stack.slis tr{display:flex;flex-wrap:wrap;align-items:center;gap:4px 0;
padding:10px 12px}
table.stack.overview td,table.stack.slis td{display:block;padding:0;width:auto}
table.stack.overview td::before,table.stack.slis td::before{display:none}
.ov-product{flex:1 1 55%;padding-left:8px!important;min-width:0}
.ov-notmet{flex:1 1 100%}
.ov-budget,.ov-owner{flex:1 1 50%;font-size:.9rem}
.sli-value,.sli-target,.sli-budget{flex:1 1 33%;font-size:.9rem}
.ov-budget::before,.ov-owner::before,.sli-value::before,.sli-target::before,.sli-budget::before{display:inline!important;
margin-right:6px;font-size:.72rem}
.sli-name{flex:1 1 50%}.sli-status{flex:0 0 auto;margin-left:auto}.sli-reason{flex:1 1 100%;font-size:.9rem}
}
@media print{body{background:#fff}.card{break-inside:avoid}}
"""

"""The one template system for every HTML page the runner writes (the SLO report, the catalog).

Templates live in ``dataproducts/templates/`` (package data) with one layout (``_base.html.j2``) and one
stylesheet (``style.css``). Autoescape is on: every value placed in a page is escaped by Jinja2, after
``finalize`` has turned it into text the way the Markdown renderers see it (``None`` is empty, booleans are
``true``/``false``, lone surrogates become U+FFFD). Links go through ``render.safe.safe_href``; the pieces
built in Python (inline Markdown, SVG) are escaped there and passed in as ``Markup``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from dataproducts.render import _format, svg
from dataproducts.render.safe import html_text, safe_href

#: Scripts and external loads are forbidden on every page, as a second line of defence.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

#: The portal's one script (the home page's filter; a no-op elsewhere), inline and allowed by its hash only.
PORTAL_SCRIPT = (
    "(function(){var f=document.getElementById('filter');if(!f)return;"
    "var q=f.querySelector('[name=q]'),s=f.querySelector('[name=status]'),"
    "rows=document.querySelectorAll('[data-filter]'),n=document.getElementById('shown');"
    "function go(){var t=(q.value||'').toLowerCase().trim(),st=s.value,c=0;"
    "rows.forEach(function(r){var ok=(!t||r.getAttribute('data-filter').indexOf(t)>=0)&&"
    "(!st||r.getAttribute('data-status')===st);r.hidden=!ok;if(ok)c++;});"
    "if(n)n.textContent=String(c);}"
    "f.addEventListener('input',go);f.addEventListener('change',go);"
    "f.addEventListener('submit',function(e){e.preventDefault();go();});"
    "var p=new URLSearchParams(location.search);if(p.get('q'))q.value=p.get('q');"
    "if(p.get('status'))s.value=p.get('status');go();})();"
)
#: The portal's navigation bar: (path from the portal's root, label).
PORTAL_NAV = (
    ("index.html", "Products"),
    ("catalog/index.html", "Catalog"),
    ("reports/index.html", "SLO reports"),
    ("changelog/index.html", "Changelog"),
    ("contracts/index.html", "Contracts"),
    ("dbt-docs/index.html", "dbt docs"),
)
PORTAL_CSP = (
    CSP.replace("form-action 'none'", "form-action 'self'")
    + "; script-src 'sha256-"
    + base64.b64encode(hashlib.sha256(PORTAL_SCRIPT.encode()).digest()).decode()
    + "'"
)

_EXTERNAL = re.compile(r"(?i)https?:|[/\\]{2}")


_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def inline_markdown(value: Any) -> Markup:
    """dbt descriptions are Markdown: escape first, then turn only `code` and **bold** into tags."""
    escaped = _CODE_SPAN.sub(r"<code>\1</code>", html_text(value))
    return Markup(_STRONG.sub(r"<strong>\1</strong>", escaped))


def _finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else _format.text(value)


def _markup_format(template: str, *values: Any) -> Markup:
    """``template`` (written in a template, trusted) with ``values`` escaped into it."""
    return Markup(template) % tuple(_finalize(v) for v in values)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dataproducts", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.do"],
        keep_trailing_newline=True,
    )
    # the presentation helpers of render._format, by name (``count`` is a Jinja2 builtin: ``count_text``)
    formats: tuple[str, ...] = ("obj", "seq", "text", "number", "status_of", "status_label", "sli_label")
    formats += ("sli_names", "percent", "times", "measure", "target", "timestamp", "counts_line")
    env.filters.update({name: getattr(_format, name) for name in formats})
    env.filters.update(
        count_text=_format.count,
        markup_format=_markup_format,
        inline_markdown=inline_markdown,
        mailto=lambda email: quote(_format.text(email), safe="@.+-_"),
        is_external=lambda href: bool(_EXTERNAL.match(href)),
    )
    env.globals.update(
        MISSING=_format.MISSING,
        safe_href=safe_href,
        owner_parts=_format.owner_parts,
        csp=CSP,
        portal_csp=PORTAL_CSP,
        portal_script=Markup(PORTAL_SCRIPT),
        icon=lambda status: Markup(svg.icon(status)),
        legend=lambda: Markup(svg.legend()),
        trend_chart=lambda *args: Markup(svg.trend_chart(*args)),
    )
    return env


def render_page(name: str, **context: Any) -> str:
    """Render the page template ``name`` with ``context``."""
    return environment().get_template(name).render(**context)

"""GX Data Docs that read offline and show data as text.

Great Expectations' site builder writes pages that load Bootstrap, jQuery, Font Awesome and Vega from CDNs
(unstyled, and with console errors, on a machine without internet) and that place failing sample values into
the page as raw HTML (a value ``<img src=x onerror=...>`` runs in the reader's browser). Two fixes, both
applied where the run's Data Docs are built (``GxEngine.build_data_docs``):

- ``escape_samples``: before the site is rendered, every sample value of every stored result
  (``partial_unexpected_list``, ``unexpected_list``, ``partial_unexpected_counts``, the index lists) is
  HTML-escaped, so GX's renderer, which does not escape them, shows the text itself. Only the copies in the
  Data Docs' store are changed: the results written to the run record keep the raw values.
- ``offline_html``: every page loses its external scripts and stylesheets (and the inline scripts that need
  jQuery), gets a stylesheet of its own inline (Bootstrap's layout classes the pages use, icons as text) and
  a Content-Security-Policy that allows nothing from outside. ``make_offline`` rewrites a built site in
  place; the portal applies ``offline_html`` again when it serves older sites (it is idempotent).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MARKER = "<!-- dp: offline data docs -->"
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
_SAMPLE_KEYS = (
    "partial_unexpected_list",
    "unexpected_list",
    "partial_unexpected_index_list",
    "unexpected_index_list",
)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.I | re.S)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_EXTERNAL = re.compile(r"""(?i)\b(?:href|src)\s*=\s*["']?\s*(?:https?:)?//""")
_ICON = re.compile(r"""(?i)\brel\s*=\s*["']?[^"'>]*icon""")
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)

STYLE = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--link:#0550ae;--ok:#1a7f37;--bad:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;
--link:#58a6ff;--ok:#3fb950;--bad:#f85149}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif}
a{color:var(--link)}
code,pre{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.86em}
.container,.container-fluid{width:100%;padding:0 15px;margin:0 auto}
.container{padding-top:20px}
.row{display:flex;flex-wrap:wrap;margin:0 -8px}
[class*=col-]{position:relative;width:100%;padding:0 8px}
.col-12{flex:0 0 100%;max-width:100%}.col-6{flex:0 0 50%;max-width:50%}
.col-4{flex:0 0 33.333%;max-width:33.333%}.col-3{flex:0 0 25%;max-width:25%}
@media (min-width:768px){.col-md-2{flex:0 0 16.666%;max-width:16.666%}.col-md-10{flex:0 0 83.333%;max-width:83.333%}
.col-md-6{flex:0 0 50%;max-width:50%}.col-md-4{flex:0 0 33.333%;max-width:33.333%}.col-md-8{flex:0 0 66.666%;
max-width:66.666%}.d-md-block{display:block!important}}
@media (max-width:767px){.col-6{flex:0 0 100%;max-width:100%}}
.d-none{display:none!important}.d-flex{display:flex}.float-left{float:left}.h-100{height:100%}
.m-0{margin:0!important}.p-0{padding:0!important}.mb-0{margin-bottom:0}.mb-1{margin-bottom:.25rem}
.mb-3{margin-bottom:1rem}.mt-1{margin-top:.25rem}.mt-3{margin-top:1rem}.p-1{padding:.25rem}.p-2{padding:.5rem}
.p-3{padding:1rem}.px-0{padding-left:0;padding-right:0}
.navbar{display:flex;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:var(--card);
border-bottom:1px solid var(--line);height:auto!important}
.navbar img{max-height:40px}
.sticky-top{position:sticky;top:0;z-index:10}
.nav{list-style:none;margin:0;padding:0;display:flex;flex-direction:column}
.nav-link{display:block;padding:.3rem .5rem;overflow-wrap:anywhere}
.nav-item.active .nav-link,.nav-link.active{font-weight:700}
.breadcrumb{list-style:none;display:flex;flex-wrap:wrap;gap:.4rem;padding:.5rem 0;margin:0}
.breadcrumb-item+.breadcrumb-item::before{content:"/ ";color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:1rem;overflow:hidden}
.card-header{padding:.5rem .75rem;border-bottom:1px solid var(--line);font-weight:600}
.card-body{padding:.75rem}
.collapse{display:block}
.modal,.modal-backdrop,.ge-walkthrough-modal{display:none!important}
.table-responsive{overflow-x:auto}
table,.table{width:100%;border-collapse:collapse;margin:.5rem 0;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
.table-sm th,.table-sm td{padding:.25rem .4rem}
.table-bordered th,.table-bordered td{border:1px solid var(--line)}
.alert{padding:.5rem .75rem;border:1px solid var(--line);border-radius:6px;background:var(--card)}
.text-success{color:var(--ok)}.text-danger{color:var(--bad)}.text-muted{color:var(--muted)}
.btn{display:inline-block;padding:.2rem .6rem;border:1px solid var(--line);border-radius:6px}
.ge-section{clear:both;margin-bottom:24px}
i.fas,i.far,i.fa{font-style:normal}
.fa-check-circle::before{content:"\\2714";color:var(--ok)}.fa-times::before,.fa-times-circle::before{content:"\\2716";
color:var(--bad)}
.fa-exclamation-triangle::before{content:"\\26A0"}
.show-scrollbars{overflow:auto}
"""


def _escape_value(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, list):
        return [_escape_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape_value(v) for k, v in value.items()}
    return value


def escape_samples(result: dict[str, Any]) -> dict[str, Any]:
    """One expectation's ``result`` with every sample value HTML-escaped (a copy; see the module docstring)."""
    out = dict(result)
    for key in _SAMPLE_KEYS:
        if key in out:
            out[key] = _escape_value(out[key])
    if isinstance(out.get("partial_unexpected_counts"), list):
        out["partial_unexpected_counts"] = [
            {**c, "value": _escape_value(c.get("value"))} if isinstance(c, dict) else c
            for c in out["partial_unexpected_counts"]
        ]
    return out


def escape_suite_result(results: Iterable[Any]) -> None:
    """Escape the samples of GX ``ExpectationValidationResult`` objects in place (their ``result`` dicts)."""
    for item in results:
        if isinstance(getattr(item, "result", None), dict):
            item.result = escape_samples(item.result)


def _local_image(tag: str, root: str) -> str:
    if not _EXTERNAL.search(tag):
        return tag
    return f'<img src="{root}static/images/logo-long.png" alt="Great Expectations" class="ge-logo">'


def offline_html(page: str, root: str) -> str:
    """A Data Docs page without external loads or scripts, styled by an inline stylesheet. ``root``: the
    relative way from the page's folder to the site's root (where ``static/`` is)."""
    if MARKER in page:
        return page
    page = _SCRIPT.sub("", page)
    # external stylesheets go; so do icons (GX links its favicon one folder too shallow on result pages)
    page = _LINK.sub(
        lambda m: "" if _EXTERNAL.search(m.group(0)) or _ICON.search(m.group(0)) else m.group(0), page
    )
    page = _IMG.sub(lambda m: _local_image(m.group(0), root), page)
    head = f'{MARKER}<meta http-equiv="Content-Security-Policy" content="{CSP}"><style>{STYLE}</style></head>'
    page, found = _HEAD_END.subn(lambda _: head, page, count=1)
    return page if found else MARKER + f"<style>{STYLE}</style>" + page


def make_offline(site: Path) -> list[Path]:
    """Rewrite every page of the built Data Docs site ``site`` with ``offline_html``; returns the pages."""
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        depth = len(page.relative_to(site).parts) - 1
        page.write_text(offline_html(page.read_text(encoding="utf-8"), "../" * depth), encoding="utf-8")
    return pages

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
  jQuery), gets the project's one stylesheet inline (``templates/style.css``, whose ``.dp-gx`` rules give the
  Bootstrap layout classes the pages use, icons as text) and
  a Content-Security-Policy that allows nothing from outside. ``make_offline`` rewrites a built site in
  place; the portal applies ``offline_html`` again when it serves older sites (it is idempotent).
"""

from __future__ import annotations

import ast
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

_BODY = re.compile(r"<body\b([^>]*)>", re.I)


def stylesheet() -> str:
    """The project's one stylesheet (``templates/style.css``): its ``.dp-gx`` rules style GX's pages."""
    from importlib import resources

    return resources.files("dataproducts").joinpath("templates", "style.css").read_text(encoding="utf-8")


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
    page = _static_tables(page)
    page = _SCRIPT.sub("", page)
    # external stylesheets go; so do icons (GX links its favicon one folder too shallow on result pages)
    page = _LINK.sub(
        lambda m: "" if _EXTERNAL.search(m.group(0)) or _ICON.search(m.group(0)) else m.group(0), page
    )
    page = _IMG.sub(lambda m: _local_image(m.group(0), root), page)
    style = stylesheet()
    head = f'{MARKER}<meta http-equiv="Content-Security-Policy" content="{CSP}"><style>{style}</style></head>'
    page, found = _HEAD_END.subn(lambda _: head, page, count=1)
    if not found:
        page = MARKER + f"<style>{style}</style>" + page
    return _BODY.sub(lambda m: _with_class(m.group(1)), page, count=1)


def _with_class(attributes: str) -> str:
    """A ``<body>`` tag with the class ``dp-gx`` added (the stylesheet's Data Docs rules apply under it)."""
    if re.search(r"(?i)\bclass\s*=", attributes):
        added = re.sub(
            r"""(?i)\bclass\s*=\s*(["'])""", lambda m: f"class={m.group(1)}dp-gx ", attributes, count=1
        )
        return f"<body{added}>"
    return f'<body class="dp-gx"{attributes}>'


_TABLE_SCRIPT = re.compile(
    r"\$\('#([A-Za-z0-9_-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns:\s*(\[.*?\]),\s*data:\s*(\[.*?\]),"
    r"\s*toolbar",
    re.S,
)


def _cell(value: Any, link: str | None) -> str:
    text = str(value if value is not None else "")
    if "<" in text:  # GX's own markup (icons, links, tooltips) for this cell
        return text
    shown = html.escape(text.strip())
    return f'<a href="{html.escape(link, quote=True)}">{shown}</a>' if link else shown


def _static_tables(page: str) -> str:
    """GX's index fills its tables (validation results, expectation suites) from script data with
    bootstrap-table; without scripts they would be empty. Each such table gets its rows as plain HTML
    (the row's link on its asset or suite name), so the index lists every validation offline."""
    for script in _SCRIPT.findall(page):
        for match in _TABLE_SCRIPT.finditer(script):
            table_id, columns_src, data_src = match.groups()
            try:
                columns = ast.literal_eval(columns_src)
                rows = ast.literal_eval(data_src)
            except (ValueError, SyntaxError):
                continue
            fields = [
                (c.get("field"), c.get("title") or c.get("field")) for c in columns if isinstance(c, dict)
            ]
            link_field = (
                "asset_name"
                if any(f == "asset_name" for f, _ in fields)
                else (fields[0][0] if fields else None)
            )
            head = "".join(f"<th>{html.escape(str(title))}</th>" for _, title in fields)
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td>{_cell(row.get(field), row.get('_table_row_link_path') if field == link_field else None)}</td>"
                    for field, _ in fields
                )
                + "</tr>"
                for row in rows
                if isinstance(row, dict)
            )
            opening = re.search(rf"<table\b[^>]*\bid=\"{re.escape(table_id)}\"[^>]*>", page)
            if opening:
                page = (
                    page[: opening.end()]
                    + f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                    + page[opening.end() :]
                )
    return page


def make_offline(site: Path) -> list[Path]:
    """Rewrite every page of the built Data Docs site ``site`` with ``offline_html``; returns the pages."""
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        depth = len(page.relative_to(site).parts) - 1
        page.write_text(offline_html(page.read_text(encoding="utf-8"), "../" * depth), encoding="utf-8")
    return pages

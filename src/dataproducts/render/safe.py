"""The one place that makes project text safe to publish: links in HTML, text in HTML and Markdown.

Every renderer (the SLO report's HTML and Markdown, the catalog, the ``dp diff`` changelog) uses these and
no escaper of its own:

- ``safe_href``: a link target only if its scheme is ``http``, ``https`` or ``mailto`` (and, for links the
  runner builds itself, a relative path); anything else (``javascript:``, ``data:``, ``vbscript:``, a scheme
  hidden behind control characters) is not a link and is shown as text.
- ``html_text``: any value as HTML text, quotes escaped too (safe in attributes).
- ``md_escape``: any value as one line of inert Markdown: HTML (``<``, ``>``, entities) and Markdown syntax
  (links, emphasis, code, table pipes) backslash-escaped, as CommonMark allows for every ASCII punctuation.
- ``md_code``, ``md_inline`` and ``md_link``: a code span, text keeping only its `code` and **bold**, and a
  link (an autolink when ``safe_href`` allows it, escaped text otherwise), built on the two above.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from dataproducts.render._format import text

#: The only schemes an output links to.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# WHATWG URL parsing strips leading/trailing C0 controls and spaces and removes tabs and newlines anywhere:
# "\x01java\tscript:" is a javascript: URL to a browser, so the scheme is read the same way here.
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_href(url: Any, *, relative: bool = False) -> str | None:
    """``url`` cleaned as a browser reads it, if it is an ``http``, ``https`` or ``mailto`` link (or, with
    ``relative``, a link without a scheme, for the links the runner builds itself); ``None`` otherwise."""
    if url is None:
        return None
    raw = _TAB_OR_NEWLINE.sub("", text(url).strip(_C0_OR_SPACE))
    if not raw or _CONTROL.search(raw):
        return None
    scheme = _SCHEME.match(raw)
    if scheme is None:
        return raw if relative else None
    return raw if scheme.group(1).lower() in SAFE_SCHEMES else None


def html_text(value: Any) -> str:
    """Any value as escaped HTML text (quotes included, so it is safe in attributes too)."""
    return escape(text(value), quote=True)


# Characters that could start markup mid-line. Parentheses and "!" only matter next to "[" / "]", "#" and "+"
# only at a line start (free text never starts one), "_" only at a word boundary, "&" only as an entity.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|~]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?\w+;)")


def _escape_flat(flat: str) -> str:
    return _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), flat)


def md_escape(value: Any) -> str:
    """Free text made inert: one line, every Markdown/HTML special character backslash-escaped
    (CommonMark allows escaping any ASCII punctuation, so ``<script>`` and ``|`` print as themselves)."""
    return _escape_flat(" ".join(text(value).split()))


def md_code(value: Any, *, empty: str = "—") -> str:
    """An identifier as a code span (HTML is inert inside one): backticks replaced, pipes escaped (GFM
    tables split on them even there). ``empty`` when there is nothing to show."""
    flat = " ".join(text(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{flat}`" if flat else empty


_CODE_SPAN = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\\\*\\\*(?=\S)(.+?)(?<=\S)\\\*\\\*")


def md_inline(value: Any) -> str:
    """Text that may hold `code` spans and **bold** (dbt descriptions, change details): those two kept,
    everything else escaped as ``md_escape`` does; one line."""
    flat = " ".join(text(value).split())
    parts = []
    last = 0
    for span in _CODE_SPAN.finditer(flat):
        parts.append(_escape_flat(flat[last : span.start()]))
        inner = span.group(1)
        parts.append(md_code(inner) if inner.strip() else _escape_flat(span.group(0)))
        last = span.end()
    parts.append(_escape_flat(flat[last:]))
    return _STRONG.sub(r"**\1**", "".join(parts))


def md_link(url: Any, label: Any = None) -> str:
    """A Markdown link to ``url`` when ``safe_href`` allows it (an autolink ``<url>`` without a label),
    else the escaped text of ``label`` and ``url``: an unsafe URL is shown, never linked."""
    href = safe_href(url)
    if href is not None and not re.search(r"[\s<>()\[\]`\\]", href):
        return f"[{md_escape(label)}]({href})" if label else f"<{href}>"
    shown = md_escape(url)
    return f"{md_escape(label)} ({shown})" if label and shown else md_escape(label) or shown

"""Every renderer the runner has: the SLO report (``html``, ``markdown``), the catalog (``catalog``) and the
``dp diff`` changelog (``changelog``).

They take finished results and compute nothing. HTML pages are Jinja2 templates (``dataproducts/templates/``,
one layout and one stylesheet, autoescape on: ``render.templates``); Markdown is written in Python through
the one escaper, ``render.safe``.
"""

from dataproducts.render.html import render_html
from dataproducts.render.markdown import render_markdown

__all__ = ["render_html", "render_markdown"]

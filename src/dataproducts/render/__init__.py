"""Renderers for the nightly SLO report: Markdown for a chat channel, one self-contained HTML page.

Both take the finished report document (the JSON ``dp report`` writes, as a dict) and compute nothing.
"""

from dataproducts.render.html import render_html
from dataproducts.render.markdown import render_markdown

__all__ = ["render_html", "render_markdown"]

"""The ``dp diff`` changelog as Markdown: a headline, one table row per changed product, then per product what
changed, the affected exposures and the owners to tell. Takes the finished ``governance.diff.DiffReport`` and
computes nothing; every text from the project goes through ``render.safe`` (escaped, code spans, safe links
only). Markdown stays Python: each value is escaped where it is placed, which a template would only hide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataproducts.render.safe import md_code, md_escape, md_inline, md_link

if TYPE_CHECKING:
    from dataproducts.governance.diff import DiffReport


def render_changelog(report: DiffReport) -> str:
    """Every text from the project goes through ``render.safe``: escaped, code spans, safe links only."""
    lines = ["# Data product changelog", ""]
    lines.append(
        f"Changes of the current project against the state {md_code(report.state)}"
        + (f" (built {md_escape(report.old_generated_at)})" if report.old_generated_at else "")
        + f", judged on {report.as_of.isoformat()}."
    )
    lines.append("")
    if not report.diffs:
        lines += ["No data product changed.", ""]
        return "\n".join(lines)
    if report.breaking:
        names = ", ".join(md_code(d.product) for d in report.breaking)
        lines += [
            f"**Breaking changes to public products not released as a new version: {names}.** Consumers "
            "must be told before this ships; the way to ship it is a new model version, with the old "
            "version kept until its deprecation date.",
            "",
        ]
    lines += ["| product | change | affected exposures | owners to tell |", "|---|---|---|---|"]
    for d in report.diffs:
        exposures = ", ".join(e.name for e in d.exposures) or "-"
        lines.append(
            f"| {md_code(d.product)} | {d.kind} ({d.status}) | {md_escape(exposures)} "
            f"| {md_escape(', '.join(d.owners_to_tell))} |"
        )
    lines.append("")
    for d in report.diffs:
        lines += [f"## {md_code(d.product)}: {d.kind}", "", f"Owner: {md_escape(d.owner)}", ""]
        lines += ["| class | change | detail |", "|---|---|---|"]
        for c in d.changes:
            version = f"v{md_escape(c.version)}: " if c.version else ""
            lines.append(f"| {c.kind} | {version}{md_escape(c.what)} | {md_inline(c.detail)} |")
        lines.append("")
        if d.exposures:
            lines.append("Affected exposures:")
            lines.append("")
            for e in d.exposures:
                url = f" {md_link(e.url)}" if e.url else ""
                lines.append(
                    f"- {md_code(e.name)} ({md_escape(e.type or 'exposure')}), "
                    f"owned by {md_escape(e.owner.label())}{url}"
                )
            lines.append("")
        elif d.kind != "documentation":
            lines += ["Affected exposures: none declared.", ""]
        lines += [f"Tell: {md_escape(', '.join(d.owners_to_tell))}", ""]
    if report.unchanged:
        lines += [f"Unchanged: {', '.join(md_code(p) for p in report.unchanged)}", ""]
    return "\n".join(lines)

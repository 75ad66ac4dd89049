"""The portal's pages and files, one URL space for ``dp serve`` and ``dp portal build``.

Every page is addressed by a path relative to the site's root (``index.html``,
``products/<name>/index.html``, ``reports/<day>/index.html``, ``data-docs/<run>/<stamp>/...``) and every link
in a page is relative, so the same HTML works from the web application, from any static web server and from
``file://``. :meth:`Site.resolve` answers one path (an HTML page rendered now, or a file of the project
served as it is); :meth:`Site.paths` lists every path of the static site. The server and the static build
call the same two methods, so they cannot drift apart.

What is read (never written): the newest complete run record that holds a report
(``runs/<run>/reports/<stamp>/slo_report.json``) and its manifest (the products, their columns, contracts,
ports, consumers and lineage, as the catalog builds them), the SLO history (values per run), the dated
report copies under ``<reports>/``, ``<reports>/changelog.md``, ``<reports>/contracts/``, the dbt docs site
(``<target>/docs/static_index.html``) and each validation's GX Data Docs (made readable offline on the way
out, ``validation.data_docs``).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataproducts.config import ProjectConfig
from dataproducts.errors import ConfigError, DataProductsError
from dataproducts.render import _format
from dataproducts.render.html import render_html as render_report_html
from dataproducts.render.templates import PORTAL_NAV as NAV
from dataproducts.render.templates import render_page

REPORT_FILE = "slo_report.json"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
_DATA_DOCS_LINK = re.compile(r"(?:^|/)runs/([^/]+)/validations/([^/]+)/data_docs/(.*)$")
_DBT_DOCS_LINK = re.compile(r"(?:^|/)docs/static_index\.html(#.*)?$")

#: content types of the files the portal serves as they are
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".yaml": "text/yaml; charset=utf-8",
    ".yml": "text/yaml; charset=utf-8",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}


@dataclass(frozen=True)
class Content:
    """What one path answers: ``text`` (a page or a rewritten file) or ``file`` (served as it is)."""

    content_type: str
    text: str | None = None
    file: Path | None = None

    def body(self) -> bytes:
        if self.text is not None:
            return self.text.encode("utf-8")
        assert self.file is not None
        return self.file.read_bytes()


def content_type(path: str) -> str:
    return CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


def up(path: str) -> str:
    """The relative prefix from the folder of page ``path`` back to the site's root."""
    depth = path.count("/")
    return "../" * depth


@dataclass
class TrendRow:
    """One run of a product in the SLO history: the values behind the trend's colours."""

    as_of_date: str
    run_id: str
    partial: bool
    status: str
    row_count: int | None
    slis: dict[str, tuple[str, float | None, str | None]] = field(default_factory=dict)


@dataclass
class State:
    """Everything the pages show, read once per change of the newest report."""

    cfg: ProjectConfig
    record_path: Path
    run_id: str
    report_path: Path
    report: dict[str, Any]
    products: list[dict[str, Any]]  # the report's products, worst first
    catalog: Any  # governance.catalog.Catalog of the run's manifest
    entries: dict[str, Any]  # catalog entries by product id
    contracts: dict[str, str]  # product id -> path of its ODCS contract under contracts/
    dbt_docs: Path | None
    history_note: str | None = None
    history: dict[str, list[TrendRow]] = field(default_factory=dict)

    def product_by_name(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.products if p.get("name") == name), None)

    def status_of(self, product_id: str) -> str:
        found = next((p for p in self.products if p.get("id") == product_id), None)
        return _format.status_of(found.get("status")) if found else "unknown"


class Site:
    """The portal over one project's run records (see the module docstring)."""

    def __init__(self, cfg: ProjectConfig, *, static: bool = False) -> None:
        self.cfg = cfg
        self.static = static  # a static build has no /api
        self._state: State | None = None
        self._key: tuple[str, float] | None = None

    # --- reading ---------------------------------------------------------------------------------------------

    def newest_report(self) -> tuple[Path, Path]:
        """The newest complete run record holding a report, and that report's JSON (else ConfigError)."""
        from dataproducts.runs import list_records

        if not self.cfg.runs_dir.is_dir():
            raise ConfigError(
                f"{self.cfg.runs_dir}: no run records (run `dp nightly`, or `dbt build` then `dp report`)"
            )
        for record in reversed(list_records(self.cfg.runs_dir)):
            if record.partial:
                continue
            reports = [p / REPORT_FILE for p in record.parts("reports") if (p / REPORT_FILE).is_file()]
            if reports:
                return record.path, reports[-1]
        raise ConfigError(
            f"{self.cfg.runs_dir}: no run record holds a report yet (run `dp nightly`, or `dp report`)"
        )

    def state(self) -> State:
        record_path, report_path = self.newest_report()
        key = (str(report_path), report_path.stat().st_mtime)
        if self._state is None or self._key != key:
            self._state = self._load(record_path, report_path)
            self._key = key
        return self._state

    def _load(self, record_path: Path, report_path: Path) -> State:
        from dataproducts.artifacts import load_manifest
        from dataproducts.governance.access import load_roles
        from dataproducts.governance.catalog import build_catalog

        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{report_path}: not a readable report ({exc})") from exc
        if not isinstance(report, dict):
            raise ConfigError(f"{report_path}: not a report (expected a JSON object)")
        manifest = load_manifest(record_path / "dbt" / "manifest.json")
        try:
            roles = load_roles(self.cfg.project_dir)
        except DataProductsError:
            roles = None
        catalog = build_catalog(manifest, roles)
        entries = {e.id: e for e in catalog.products}
        contracts: dict[str, str] = {}
        root = self.cfg.reports_dir / "contracts"
        if root.is_dir():
            for path in sorted(root.glob("*/*.odcs.yaml")):
                product_id = f"{path.parent.name}.{path.name.removesuffix('.odcs.yaml')}"
                contracts[product_id] = path.relative_to(root).as_posix()
        docs = self.cfg.target_dir / "docs" / "static_index.html"
        state = State(
            cfg=self.cfg,
            record_path=record_path,
            run_id=record_path.name,
            report_path=report_path,
            report=report,
            products=_format.products_worst_first(report),
            catalog=catalog,
            entries=entries,
            contracts=contracts,
            dbt_docs=docs if docs.is_file() else None,
        )
        self._read_history(state)
        return state

    def _read_history(self, state: State) -> None:
        """Each product's runs in the report's window, with their values (row count, SLI values)."""
        import duckdb

        path = self.cfg.history
        if not path.is_file():
            state.history_note = "no SLO history yet"
            return
        window = _format.number(state.report.get("window_days")) or 28
        as_of = _format.parse_date(state.report.get("as_of_date")) or dt.date.today()
        start = as_of - dt.timedelta(days=int(window) - 1)
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            state.history_note = f"SLO history unavailable: {str(exc).splitlines()[0]}"
            return
        try:
            runs = con.execute(
                "select r.as_of_date, r.run_id, r.partial, p.product_id, p.status, p.row_count "
                "from slo_runs r join slo_product_runs p using (run_id) "
                "where r.as_of_date between ? and ? order by r.as_of_date, r.generated_at",
                [start, as_of],
            ).fetchall()
            slis = con.execute(
                "select s.run_id, s.product_id, s.sli, s.status, s.value, s.unit "
                "from slo_sli_results s join slo_runs r using (run_id) where r.as_of_date between ? and ?",
                [start, as_of],
            ).fetchall()
        except duckdb.Error as exc:
            state.history_note = f"SLO history unavailable: {str(exc).splitlines()[0]}"
            return
        finally:
            con.close()
        rows: dict[tuple[str, str], TrendRow] = {}
        for day, run_id, partial, product_id, status, row_count in runs:
            row = TrendRow(str(day), run_id, bool(partial), status, row_count)
            rows[(run_id, product_id)] = row
            state.history.setdefault(product_id, []).append(row)
        for run_id, product_id, sli, status, value, unit in slis:
            found = rows.get((run_id, product_id))
            if found is not None:
                found.slis[sli] = (status, value, unit)

    # --- the URL space ---------------------------------------------------------------------------------------

    def paths(self) -> Iterator[str]:
        """Every path of the static site."""
        state = self.state()
        yield "index.html"
        for product in state.products:
            name = _format.text(product.get("name"))
            if _SAFE_SEGMENT.match(name):
                yield f"products/{name}/index.html"
        yield "catalog/index.html"
        yield "reports/index.html"
        for day in self._report_days():
            yield f"reports/{day}/index.html"
            for name in ("slo_report.json", "slo_report.md"):
                if (self.cfg.reports_dir / day / name).is_file():
                    yield f"reports/{day}/{name}"
        yield "favicon.ico"
        yield "changelog/index.html"
        yield "contracts/index.html"
        for rel in state.contracts.values():
            yield f"contracts/{rel}"
        yield "dbt-docs/index.html"
        for run_dir, stamp_dir, docs in self._data_docs_sites():
            for file in sorted(p for p in docs.rglob("*") if p.is_file()):
                yield f"data-docs/{run_dir}/{stamp_dir}/{file.relative_to(docs).as_posix()}"

    def resolve(self, path: str) -> Content | None:
        """What ``path`` (relative to the root, no leading slash) answers, or None (not found)."""
        path = path.lstrip("/")
        if path == "" or path.endswith("/"):
            path += "index.html"
        parts = path.split("/")
        if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
            return None
        state = self.state()
        head = parts[0]
        if path == "index.html":
            return self._html(self.home(state, path))
        if head == "products" and len(parts) == 3 and parts[2] == "index.html":
            product = state.product_by_name(parts[1])
            return None if product is None else self._html(self.product_page(state, product, path))
        if path == "catalog/index.html":
            return self._html(self.catalog_page(state, path))
        if head == "reports":
            return self._reports(state, parts, path)
        if path == "changelog/index.html":
            return self._html(self.changelog_page(state, path))
        if head == "contracts":
            return self._contracts(state, parts, path)
        if path == "dbt-docs/index.html":
            if state.dbt_docs is None:
                message = (
                    f"No dbt docs site yet: {self.cfg.target_dir / 'docs' / 'static_index.html'} is missing "
                    "(dp nightly builds it unless --no-docs; or dbt docs generate --static)."
                )
                return self._html(self._page("portal/message.html.j2", path, "dbt docs", message=message))
            return self._html(dbt_docs_page(state.dbt_docs.parent))
        if path == "favicon.ico":
            return Content("image/svg+xml", text=FAVICON)
        if head == "data-docs" and len(parts) >= 4:
            return self._data_docs(parts)
        return None

    # --- helpers -----------------------------------------------------------------------------------------------

    @staticmethod
    def _html(text: str) -> Content:
        return Content(CONTENT_TYPES[".html"], text=text)

    def _report_days(self) -> list[str]:
        root = self.cfg.reports_dir
        if not root.is_dir():
            return []
        days = [p.name for p in root.iterdir() if _DAY.match(p.name) and (p / REPORT_FILE).is_file()]
        return sorted(days, reverse=True)

    def _data_docs_sites(self) -> list[tuple[str, str, Path]]:
        from dataproducts.runs import list_records

        sites = []
        for record in list_records(self.cfg.runs_dir):
            for part in record.parts("validations"):
                docs = part / "data_docs"
                if (docs / "index.html").is_file():
                    sites.append((record.path.name, part.name, docs))
        return sites

    def _data_docs(self, parts: list[str]) -> Content | None:
        from dataproducts.validation.data_docs import offline_html

        run_dir, stamp_dir, rest = parts[1], parts[2], parts[3:]
        if not (_SAFE_SEGMENT.match(run_dir) and _SAFE_SEGMENT.match(stamp_dir)):
            return None
        docs = self.cfg.runs_dir / run_dir / "validations" / stamp_dir / "data_docs"
        file = docs.joinpath(*rest)
        if not file.is_file() or docs.resolve() not in file.resolve().parents:
            return None
        if file.suffix == ".html":
            depth = len(rest) - 1
            return self._html(offline_html(file.read_text(encoding="utf-8"), "../" * depth))
        return Content(content_type(file.name), file=file)

    def _reports(self, state: State, parts: list[str], path: str) -> Content | None:
        if path == "reports/index.html":
            return self._html(self.reports_page(state, path))
        if len(parts) != 3 or parts[1] not in self._report_days():
            return None
        folder = self.cfg.reports_dir / parts[1]
        if parts[2] == "index.html":
            report = _read_json(folder / REPORT_FILE)
            return self._html(self.report_page(report, path))
        if parts[2] in ("slo_report.json", "slo_report.md") and (folder / parts[2]).is_file():
            return Content(content_type(parts[2]), file=folder / parts[2])
        return None

    def _contracts(self, state: State, parts: list[str], path: str) -> Content | None:
        if path == "contracts/index.html":
            return self._html(self.contracts_page(state, path))
        rel = "/".join(parts[1:])
        if rel in state.contracts.values():
            return Content(CONTENT_TYPES[".yaml"], file=self.cfg.reports_dir / "contracts" / rel)
        return None

    def portal_links(self, links: Mapping[str, Any], root: str) -> dict[str, str]:
        """A report's links (relative to ``reports/latest/``) as links into the portal from a page whose
        root prefix is ``root``."""
        out: dict[str, str] = {}
        dbt = _format.text(links.get("dbt_docs"))
        match = _DBT_DOCS_LINK.search(dbt)
        if match:
            out["dbt_docs"] = f"{root}dbt-docs/index.html{match.group(1) or ''}"
        docs = _format.text(links.get("data_docs"))
        match = _DATA_DOCS_LINK.search(docs)
        if match:
            out["data_docs"] = f"{root}data-docs/{match.group(1)}/{match.group(2)}/{match.group(3)}"
        return out

    def _page(self, template: str, path: str, title: str, **context: Any) -> str:
        return render_page(
            template, root=up(path), title=title, static=self.static, nav=NAV, here=path, **context
        )

    # --- pages ---------------------------------------------------------------------------------------------------

    def home(self, state: State, path: str) -> str:
        rows = []
        for product in state.products:
            entry = state.entries.get(_format.text(product.get("id")))
            rows.append((product, entry, _product_href(product, up(path))))
        return self._page("portal/home.html.j2", path, "Data products", state=state, rows=rows)

    def product_page(self, state: State, product: dict[str, Any], path: str) -> str:
        root = up(path)
        product_id = _format.text(product.get("id"))
        entry = state.entries.get(product_id)
        by_name = {e.name: e for e in state.entries.values()}
        by_id = state.entries

        def lineage(ids: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
            out: list[tuple[str, str, str | None]] = []
            for ref in ids:
                found = by_id.get(ref) or by_name.get(ref)
                if found is None:
                    out.append((ref, "unknown", None))
                else:
                    out.append(
                        (found.id, state.status_of(found.id), f"{root}products/{found.name}/index.html")
                    )
            return out

        upstream = lineage(entry.upstream_products) if entry else []
        downstream = lineage(entry.downstream_products) if entry else []
        contract = state.contracts.get(product_id)
        return self._page(
            "portal/product.html.j2",
            path,
            _format.text(product.get("name")) or product_id,
            state=state,
            product=product,
            entry=entry,
            upstream=upstream,
            downstream=downstream,
            sources=entry.upstream_sources if entry else (),
            consumers=entry.consumers if entry else (),
            links=self.portal_links(_format.obj(product.get("links")), root),
            contract=f"{root}contracts/{contract}" if contract else None,
            history=state.history.get(product_id, []),
            deprecations=[
                d
                for d in _format.seq(state.report.get("deprecations"))
                if isinstance(d, dict) and d.get("product") in (product_id, product.get("name"))
            ],
        )

    def catalog_page(self, state: State, path: str) -> str:
        from dataproducts.render.catalog import catalog_context

        root = up(path)
        statuses = {p.id: state.status_of(p.id) for p in state.catalog.products}
        hrefs = {p.id: f"{root}products/{p.name}/index.html" for p in state.catalog.products}
        return self._page(
            "portal/catalog.html.j2",
            path,
            "Catalog",
            **catalog_context(state.catalog),
            statuses=statuses,
            hrefs=hrefs,
        )

    def reports_page(self, state: State, path: str) -> str:
        days = []
        for day in self._report_days():
            report = _read_json(self.cfg.reports_dir / day / REPORT_FILE)
            days.append((day, _format.status_of(report.get("overall_status")), report.get("run_id")))
        return self._page("portal/reports.html.j2", path, "SLO reports", days=days, state=state)

    def report_page(self, report: dict[str, Any], path: str) -> str:
        """A dated SLO report, rendered by the report's own renderer with its links pointed into the portal."""
        root = up(path)
        shown = dict(report)
        shown["products"] = [
            {**p, "links": self._report_links(p, root)} if isinstance(p, dict) else p
            for p in _format.seq(report.get("products"))
        ]
        return render_report_html(shown, portal_root=root, static=self.static)

    def _report_links(self, product: dict[str, Any], root: str) -> dict[str, str]:
        """A report card's links in the portal: the product's stable page first, then dbt docs and Data Docs."""
        links = self.portal_links(_format.obj(product.get("links")), root)
        href = _product_href(product, root)
        return {"product_page": href, **links} if href else links

    def changelog_page(self, state: State, path: str) -> str:
        file = self.cfg.reports_dir / "changelog.md"
        text = file.read_text(encoding="utf-8", errors="replace") if file.is_file() else None
        return self._page("portal/text.html.j2", path, "Changelog", state=state, body=text, kind="changelog")

    def contracts_page(self, state: State, path: str) -> str:
        root = up(path)
        items = []
        for product_id, rel in sorted(state.contracts.items()):
            file = self.cfg.reports_dir / "contracts" / rel
            items.append(
                (product_id, f"{root}contracts/{rel}", file.read_text(encoding="utf-8", errors="replace"))
            )
        return self._page("portal/contracts.html.j2", path, "Contracts", state=state, items=items)


#: the portal's icon (browsers ask every origin for /favicon.ico; a 404 there is a console error)
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
    'fill="#0550ae"/><path d="M4 11V5h3a3 3 0 010 6z" fill="#fff"/></svg>'
)


_INLINE_SCRIPT = re.compile(r"<script(?:\s+defer(?:=\"defer\")?)?>(.*?)</script>", re.S)


def _with_script_hashes(page: str) -> str:
    """dbt's docs site with a Content-Security-Policy that allows its own inline scripts by hash and nothing
    else inline: a description rendered as HTML (``<img onerror=...>``) cannot run a script on the portal's
    origin, and nothing is loaded from outside."""
    import base64
    import hashlib

    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.finditer(page)
    )
    csp = (
        f"default-src 'self'; script-src {hashes} 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    return re.sub(r"<head>", lambda _: "<head>" + meta, page, count=1)


_DOCS_TEXT_KEYS = frozenset({"description", "block_contents", "comment"})


def _escape_docs_text(value: Any) -> Any:
    """Every description (models, columns, sources, exposures, macros, doc blocks) and catalog comment with
    its HTML escaped: dbt's docs site renders them as Markdown with HTML allowed, so a ``<img onerror>`` in
    a description would otherwise become an element of the page. Markdown itself still renders."""
    if isinstance(value, dict):
        return {
            key: html.escape(item, quote=False)
            if key in _DOCS_TEXT_KEYS and isinstance(item, str)
            else _escape_docs_text(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_escape_docs_text(item) for item in value]
    return value


def _inline_json(path: Path) -> str:
    data = _escape_docs_text(json.loads(path.read_text(encoding="utf-8")))
    # inside a <script>: no "</script>" (from SQL, say) may end it early
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def dbt_docs_page(docs_dir: Path) -> str:
    """dbt's docs site for the portal: dbt's own page (``index.html``, with its placeholders) with the
    manifest and catalog of ``docs_dir`` inlined as ``dbt docs generate --static`` does, but with every
    description's HTML escaped; ``static_index.html`` as written when the parts are missing."""
    index = docs_dir / "index.html"
    manifest, catalog = docs_dir / "manifest.json", docs_dir / "catalog.json"
    page = index.read_text(encoding="utf-8") if index.is_file() else ""
    if '"MANIFEST.JSON INLINE DATA"' in page and manifest.is_file() and catalog.is_file():
        try:
            page = page.replace('"MANIFEST.JSON INLINE DATA"', _inline_json(manifest), 1)
            page = page.replace('"CATALOG.JSON INLINE DATA"', _inline_json(catalog), 1)
            return dbt_docs_html(page)
        except (OSError, ValueError):
            pass  # a part being rewritten: dbt's own static page below
    return dbt_docs_html((docs_dir / "static_index.html").read_text(encoding="utf-8"))


def dbt_docs_html(page: str) -> str:
    """dbt's docs site, with its sidebar icons bound the way AngularJS wants (``ng-attr-xlink:href``): as
    shipped, the browser first fetches the literal ``{{ getIcon(...) }}`` URL (a 404 and a console error),
    and its favicon link is an unbuilt ``${require(...)}`` placeholder (pointed at the portal's icon)."""
    page = page.replace('<use xlink:href="{{', '<use ng-attr-xlink:href="{{')
    page = _with_script_hashes(page)
    return page.replace("href=\"${require('./assets/favicons/favicon.ico')}\"", 'href="../favicon.ico"')


def _product_href(product: Mapping[str, Any], root: str) -> str | None:
    name = _format.text(product.get("name"))
    return f"{root}products/{name}/index.html" if _SAFE_SEGMENT.match(name) else None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable report ({exc})") from exc
    return data if isinstance(data, dict) else {}

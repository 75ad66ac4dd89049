"""The web application of ``dp serve``: the portal's pages (``portal.site``) and the data API under ``/api``.

``create_app(cfg)`` returns a FastAPI application. FastAPI's own Swagger UI and ReDoc load their scripts from
CDNs, so they are switched off: ``/api/docs`` is an offline page rendered from the application's OpenAPI
document (``/api/openapi.json``), on the portal's layout. Every other path is a page or file of the site, the
same bytes ``dp portal build`` writes; a path without its trailing slash is redirected to the folder.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from dataproducts.api import build_router
from dataproducts.config import ProjectConfig
from dataproducts.errors import DataProductsError
from dataproducts.portal.site import Site
from dataproducts.render.templates import PORTAL_NAV, render_page

API_PREFIX = "/api"
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The OpenAPI document's operations, in path order, as the API docs page lists them."""
    out = []
    for path, item in sorted((schema.get("paths") or {}).items()):
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "parameters": [
                        (
                            p.get("name"),
                            p.get("in"),
                            bool(p.get("required")),
                            (p.get("schema") or {}).get("type"),
                        )
                        for p in op.get("parameters") or []
                        if isinstance(p, dict)
                    ],
                    "responses": sorted((op.get("responses") or {}).keys()),
                }
            )
    return out


def _page(template: str, here: str, title: str, *, root: str | None = None, **context: Any) -> str:
    root = "../" * here.count("/") if root is None else root
    return render_page(template, root=root, here=here, title=title, nav=PORTAL_NAV, static=False, **context)


def create_app(cfg: ProjectConfig) -> FastAPI:
    """The portal and the data API of the project ``cfg``."""
    site = Site(cfg)
    app = FastAPI(
        title="Data products",
        description="The data product portal and its data API (dp serve).",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )

    # before the API's routes: the router answers every other path under /api (a JSON 404 or 405)
    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        body = _page("portal/api.html.j2", "api/docs", "API", operations=_operations(app.openapi()))
        return HTMLResponse(body, headers=_HEADERS)

    app.include_router(build_router(cfg), prefix=API_PREFIX)

    @app.get("/{path:path}", include_in_schema=False)
    def portal(path: str, request: Request) -> Response:
        try:
            content = site.resolve(path)
            if content is None and path and not path.endswith("/") and site.resolve(path + "/") is not None:
                query = f"?{request.url.query}" if request.url.query else ""
                return RedirectResponse(f"/{path}/{query}", status_code=308)
        except DataProductsError as exc:
            body = _page("portal/message.html.j2", "index.html", "Not available", root="/", message=str(exc))
            return HTMLResponse(body, status_code=503, headers=_HEADERS)
        if content is None:
            body = _page(
                "portal/message.html.j2",
                "index.html",
                "Not found",
                root="/",
                message=f"/{path}: no such page",
            )
            return HTMLResponse(body, status_code=404, headers=_HEADERS)
        if content.file is not None:
            return FileResponse(content.file, media_type=content.content_type, headers=_HEADERS)
        return Response(content.body(), media_type=content.content_type, headers=_HEADERS)

    return app

"""The data and metadata API served by ``dp serve`` under ``/api`` (issue 14, part 2; docs/api.md).

``build_router(cfg)`` returns the FastAPI router the portal's application mounts at ``/api``:

- ``GET /products``, ``/products/{id}``, ``/products/{id}/contract``, ``/products/{id}/slo``,
  ``/products/{id}/slo/history``: metadata, readable without a token (it is the catalog's);
- ``GET /products/{id}/rows`` (the latest version) and ``/products/{id}/versions/{n}/rows``: the rows, for a
  bearer token whose role the access policy lets read the version, masked as on PostgreSQL.

Every error is a JSON ``{"error": ...}`` with a 4xx status (503 when the warehouse is busy or not built):
the route class below turns any exception into one, so no traceback or server path reaches a client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from dataproducts.api import rows as rowsmod
from dataproducts.api.project import ProjectView, Snapshot, version_number
from dataproducts.api.tokens import TokenEntry, TokenStore
from dataproducts.config import ProjectConfig
from dataproducts.errors import DataProductsError, HistoryError, WarehouseError
from dataproducts.governance.access import api_rows_path
from dataproducts.products import DataProduct, ProductVersion, own_description
from dataproducts.warehouse import LOCKED

log = logging.getLogger("dataproducts.api")

RETRY_AFTER_SECONDS = 30
HISTORY_DEFAULT_DAYS = 28
HISTORY_MAX_DAYS = 3650


class ErrorBody(BaseModel):
    """Every error the API answers: one line on what is wrong and how to fix it."""

    error: str


class ApiError(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.message, **self.extra}, status_code=self.status, headers=self.headers
        )


def _error_response(exc: Exception) -> Response:
    """Any exception as a JSON error: what the client may know, never a traceback or a server path."""
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, rowsmod.BadRequest):
        return ApiError(exc.status, str(exc)).response()
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return ApiError(400, f"{where}: {first.get('msg', 'invalid request')}").response()
    if isinstance(exc, WarehouseError):
        log.warning("warehouse: %s", exc)
        retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if LOCKED in str(exc):
            return ApiError(
                503, "the warehouse is being written (a build is running): retry later", retry
            ).response()
        return ApiError(503, "the warehouse cannot be read now: retry later", retry).response()
    if isinstance(exc, HistoryError):
        log.warning("history: %s", exc)
        return ApiError(503, "the SLO history cannot be read now: retry later").response()
    if isinstance(exc, DataProductsError):
        log.error("api: %s", exc)
        return ApiError(500, "the project cannot be served (see the server log)").response()
    log.exception("api: internal error")
    return ApiError(500, "internal error (see the server log)").response()


class _JsonErrorsRoute(APIRoute):
    """A route whose every failure, request validation included, is a JSON ``{"error": ...}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # the client gets one line; the server log the rest
                return _error_response(exc)

        return guarded


_bearer = HTTPBearer(
    auto_error=False,
    description="A token minted with `dp token create --role ROLE`: the role of roles.yml it reads as.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
ProductId = Annotated[
    str, PathParam(description="the product's address, <domain>.<name>", examples=["sales.orders"])
]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "bad parameter, column or filter"),
        (401, "missing, malformed, unknown or revoked token"),
        (403, "the token's role may not read this product version"),
        (404, "unknown product, version or endpoint"),
        (406, "a format this server does not serve"),
        (503, "the warehouse or the project is not readable now (a build is running, or nothing is built)"),
    )
}


def _query_lists(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def api_root(request: Request) -> str:
    """Where the router is mounted, as the request reached it (``/api/`` under the portal): every path of
    the API starts with it and then ``products`` (a product id has no ``/``)."""
    path = request.url.path
    cut = path.find("/products")
    return path[: cut + 1] if cut >= 0 else "/"


def build_router(
    cfg: ProjectConfig,
    *,
    tokens_file: Path | None = None,
    max_page_size: int = rowsmod.MAX_PAGE_SIZE,
) -> APIRouter:
    """The API's routes for the project ``cfg``. ``tokens_file`` overrides the configured tokens file
    (``cfg.api_tokens``); ``max_page_size`` caps ``limit``."""
    view = ProjectView(cfg)
    store = TokenStore(tokens_file or cfg.api_tokens)
    router = APIRouter(route_class=_JsonErrorsRoute, responses=ERRORS)

    def writer_running() -> bool:
        # DuckDB lets one process write a file, and only while nobody reads it: a read that opens the file
        # while dbt starts up would make the nightly's build fail on the lock. dbt takes seconds from its start
        # to opening the file and a page takes milliseconds, so not reading while a dbt writer of this
        # warehouse is alive (Linux /proc, as the dp commands check) keeps out of its way.
        from dataproducts.lock import dbt_writers

        return bool(dbt_writers(cfg.project_dir, cfg.warehouse, cfg.default_warehouse))

    def snapshot() -> Snapshot:
        snap = view.snapshot()
        if snap is None:
            raise ApiError(503, "nothing is built yet: run dp nightly (or dbt build) first")
        return snap

    def token_of(credentials: HTTPAuthorizationCredentials | None, request: Request) -> TokenEntry | None:
        """The caller's token entry; None without an Authorization header; 401 for anything else wrong."""
        header = request.headers.get("authorization")
        if header is None:
            return None
        challenge = {"WWW-Authenticate": 'Bearer realm="dataproducts"'}
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "malformed Authorization header: expected `Bearer <token>`", challenge)
        entry = store.lookup(credentials.credentials.strip())
        if entry is None:
            raise ApiError(401, "unknown or revoked token", challenge)
        return entry

    def product_of(snap: Snapshot, product_id: str) -> DataProduct:
        product = snap.product(product_id)
        if product is None:
            shown = product_id if len(product_id) <= 80 else product_id[:80] + "..."
            raise ApiError(404, f"no product {shown!r} (GET products lists them, as <domain>.<name>)")
        return product

    def links(product: DataProduct, root: str) -> dict[str, str]:
        base = f"{root}products/{product.id}"
        return {
            "self": base,
            "rows": f"{base}/rows",
            "contract": f"{base}/contract",
            "slo": f"{base}/slo",
            "slo_history": f"{base}/slo/history",
        }

    def version_summary(
        snap: Snapshot, product: DataProduct, version: ProductVersion, role: str | None, root: str
    ) -> dict[str, Any]:
        number = version_number(version)
        entry: dict[str, Any] = {
            "version": number,
            "relation": version.relation,
            "is_latest": version.is_latest,
            "deprecation_date": version.deprecation_date.isoformat() if version.deprecation_date else None,
            "rows": root + api_rows_path(product.id, number),  # the api port's relation (dp access)
        }
        if role is not None:
            row = snap.access(product.id, number, role)
            entry["access"] = {
                "role": role,
                "allowed": bool(row and row.allowed),
                "masked_columns": list(row.masked_columns) if row else [],
            }
        return entry

    def summary(snap: Snapshot, product: DataProduct, role: str | None, root: str) -> dict[str, Any]:
        d = product.descriptor
        owner = product.owner
        return {
            "id": product.id,
            "name": product.name,
            "domain": product.domain,
            "description": " ".join(own_description(product.description).split()),
            "owner": {"team": owner.team, "name": owner.name, "email": owner.email},
            "classification": d.classification,
            "personal_data": d.personal_data,
            "refresh_cycle": d.refresh_cycle,
            "versions": [version_summary(snap, product, v, role, root) for v in product.versions],
            "links": links(product, root),
        }

    @router.get("/products", summary="List the data products", tags=["metadata"])
    def list_products(request: Request, credentials: Credentials) -> dict[str, Any]:
        """Every data product of the newest build, with its versions. With a token, each version also says
        whether the token's role may read it and which columns it reads masked."""
        entry = token_of(credentials, request)
        snap = snapshot()
        role = entry.role if entry else None
        return {
            "run_id": snap.record.run_id if snap.record else None,
            "role": role,
            "products": [summary(snap, p, role, api_root(request)) for p in snap.products],
        }

    @router.get("/products/{product_id}", summary="A product's descriptor", tags=["metadata"])
    def get_product(
        request: Request,
        product_id: ProductId,
        credentials: Credentials,
    ) -> dict[str, Any]:
        """The product's descriptor (``config.meta.data_product`` of its latest version), every version's
        columns and access policy (readers, masked columns, how to request access)."""
        entry = token_of(credentials, request)
        snap = snapshot()
        product = product_of(snap, product_id)
        role = entry.role if entry else None
        document = summary(snap, product, role, api_root(request))
        document["descriptor"] = rowsmod.jsonable(dict(product.descriptor.raw))
        document["upstream_products"] = list(product.upstream_products)
        document["consumers"] = [e.name for e in product.exposures]
        for item, version in zip(document["versions"], product.versions, strict=True):
            policy = snap.policy(product, version)
            item["columns"] = [
                {
                    "name": c.name,
                    "data_type": c.data_type,
                    "description": " ".join(c.description.split()),
                    "personal_data": c.name in policy.personal_columns,
                }
                for c in version.columns
            ]
            item["policy"] = {
                "readers": list(policy.readers),
                "unmasked": list(policy.unmasked),
                "personal_columns": list(policy.personal_columns),
                "request": policy.request,
            }
        return document

    @router.get("/products/{product_id}/contract", summary="A product's ODCS contract", tags=["metadata"])
    def get_contract(
        request: Request,
        product_id: ProductId,
        credentials: Credentials,
    ) -> dict[str, Any]:
        """The product's Open Data Contract Standard v3 contract, as ``dp export odcs`` writes it (JSON)."""
        from dataproducts.governance.odcs import _warehouse_address, build_contract, ports_of

        token_of(credentials, request)
        snap = snapshot()
        product = product_of(snap, product_id)
        cached = snap._contracts.get(product.id)
        if cached is None:
            ports = ports_of(cfg, snap.products)
            warehouse = _warehouse_address(cfg)
            cached = build_contract(product, project_dir=cfg.project_dir, warehouse=warehouse, ports=ports)
            snap._contracts[product.id] = cached
        return cached

    def latest_report() -> tuple[str, dict[str, Any]] | None:
        from dataproducts.runs import REPORTS, list_records

        for record in reversed(list_records(cfg.runs_dir)):
            for part in reversed(record.parts(REPORTS)):
                path = part / "slo_report.json"
                if path.is_file():
                    return record.run_id, json.loads(path.read_text(encoding="utf-8"))
        return None

    @router.get("/products/{product_id}/slo", summary="A product's SLO status", tags=["metadata"])
    def get_slo(
        request: Request,
        product_id: ProductId,
        credentials: Credentials,
    ) -> dict[str, Any]:
        """The product's entry of the newest SLO report (``dp report``, docs/slo.md): status, SLIs, error
        budget, trend and failing checks. Failing checks' sample values are shown only to a token whose role
        reads the latest version unmasked."""
        entry = token_of(credentials, request)
        snap = snapshot()
        product = product_of(snap, product_id)
        found = latest_report()
        if found is None:
            raise ApiError(404, "no SLO report yet: run dp nightly (or dp report)")
        run_id, report = found
        item = next((p for p in report.get("products", []) if p.get("id") == product.id), None)
        if item is None:
            raise ApiError(404, f"{product.id}: not in the newest SLO report (run {run_id})")
        row = snap.access(product.id, version_number(product.latest), entry.role) if entry else None
        clear = bool(row and row.allowed and not row.masked_columns)
        item = {k: v for k, v in item.items() if k != "links"}
        item["failing_checks"] = [
            c if clear else {k: v for k, v in c.items() if k != "samples"}
            for c in item.get("failing_checks", [])
        ]
        return {
            "run_id": run_id,
            "as_of": report.get("as_of"),
            "generated_at": report.get("generated_at"),
            "window_days": report.get("window_days"),
            "product": item,
        }

    @router.get("/products/{product_id}/slo/history", summary="A product's SLO history", tags=["metadata"])
    def get_slo_history(
        request: Request,
        product_id: ProductId,
        credentials: Credentials,
        days: str | None = Query(
            None, description=f"days back from the newest run (default {HISTORY_DEFAULT_DAYS})"
        ),
    ) -> dict[str, Any]:
        """One entry per recorded run of the product (newest first) in the last ``days`` days: the run's
        status, row count and every SLI's status, value, unit and reason (the SLO history store)."""
        from dataproducts.api.history import product_history

        token_of(credentials, request)
        snap = snapshot()
        product = product_of(snap, product_id)
        window = rowsmod._int(
            {"days": [days]} if days is not None else {}, "days", HISTORY_DEFAULT_DAYS, 1, HISTORY_MAX_DAYS
        )
        return {
            "product": product.id,
            "days": window,
            "runs": product_history(cfg.history, product.id, window),
        }

    def read_rows(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None,
        product_id: str,
        version: str | None,
    ) -> Response:
        entry = token_of(credentials, request)
        if entry is None:
            raise ApiError(
                401,
                "rows need a bearer token: Authorization: Bearer <token> (dp token create --role ROLE)",
                {"WWW-Authenticate": 'Bearer realm="dataproducts"'},
            )
        snap = snapshot()
        product = product_of(snap, product_id)
        if version is None:
            chosen = product.latest
        else:
            chosen_or_none = next((v for v in product.versions if str(version_number(v)) == version), None)
            if chosen_or_none is None:
                numbers = ", ".join(str(version_number(v)) for v in product.versions)
                raise ApiError(404, f"{product.id}: no version {version[:20]!r} (versions: {numbers})")
            chosen = chosen_or_none
        number = version_number(chosen)
        shown = f"{product.id}" + (f" v{number}" if number is not None else "")
        if snap.roles.get(entry.role) is None:
            raise ApiError(403, f"token {entry.name}: role {entry.role} is no longer declared in roles.yml")
        row = snap.access(product.id, number, entry.role)
        if row is None or not row.allowed:
            policy = snap.policy(product, chosen)
            raise ApiError(
                403,
                f"role {entry.role} may not read {shown}",
                request_access=policy.request or f"ask the owner, {product.owner.label()}",
            )
        params = _query_lists(request)
        fmt = rowsmod.negotiate(params, request.headers.get("accept"))
        if fmt == "arrow" and not rowsmod.arrow_available():
            raise ApiError(406, "Arrow is not served here (pyarrow is not installed): use format=json or csv")
        key = [c.name for c in chosen.columns if "primary_key" in c.constraints]
        if cfg.on_duckdb and writer_running():
            raise ApiError(
                503,
                "the warehouse is being written (a dbt build is running): retry later",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        with cfg.db.connect() as con:
            columns = rowsmod.relation_columns(con, chosen.schema, chosen.alias)
            if not columns:
                raise ApiError(503, f"{shown} is not built in the warehouse yet: run dp nightly")
            page = rowsmod.parse_request(
                params, columns, row.masked_columns, key, fmt, max_page_size=max_page_size
            )
            sql, args = rowsmod.build_query(chosen.schema, chosen.alias, columns, row.masked_columns, page)
            fetched = con.rows(sql, args)
        more = len(fetched) > page.limit
        fetched = fetched[: page.limit]
        next_url = None
        if more:
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
            query.append(("offset", str(page.offset + page.limit)))
            from urllib.parse import urlencode

            next_url = f"{request.url.path}?{urlencode(query)}"
        headers = {"Cache-Control": "no-store", "X-Role": entry.role}
        if next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        masked = [c for c in page.columns if c in set(row.masked_columns)]
        if masked:
            headers["X-Masked-Columns"] = ",".join(masked)
        if fmt == "csv":
            return Response(
                rowsmod.to_csv(page.columns, fetched), media_type=rowsmod.FORMATS["csv"], headers=headers
            )
        if fmt == "arrow":
            return Response(
                rowsmod.to_arrow(page.columns, fetched), media_type=rowsmod.FORMATS["arrow"], headers=headers
            )
        types = {c.name: c.type for c in columns}
        document = {
            "product": product.id,
            "version": number,
            "role": entry.role,
            "columns": [{"name": n, "type": types[n], "masked": n in masked} for n in page.columns],
            "masked_columns": masked,
            "limit": page.limit,
            "offset": page.offset,
            "count": len(fetched),
            "next": next_url,
            "rows": [{n: rowsmod.jsonable(v) for n, v in zip(page.columns, r, strict=True)} for r in fetched],
        }
        return Response(rowsmod.to_json(document), media_type="application/json", headers=headers)

    rows_doc = (
        "A page of the version's rows, as the token's role may read them (masked columns are null). "
        "Parameters: `columns=a,b`; `limit` (default 100, at most the server's maximum) and `offset`, or "
        "follow `next` (also the `Link` header); `order=a,-b`; filters `<column>=<value>` or "
        "`<column>.<op>=<value>` with op one of eq, ne, lt, lte, gt, gte, in (comma-separated values), "
        "is (null or notnull), repeatable, all ANDed; `format=json|csv|arrow` or the Accept header."
    )
    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "application/vnd.apache.arrow.stream": {},
            }
        }
    }

    @router.get(
        "/products/{product_id}/rows",
        summary="Read the latest version's rows",
        tags=["data"],
        response_class=Response,
        responses=responses,
        description=rows_doc,
    )
    def get_rows(
        request: Request,
        product_id: ProductId,
        credentials: Credentials,
    ) -> Response:
        return read_rows(request, credentials, product_id, None)

    @router.get(
        "/products/{product_id}/versions/{version}/rows",
        summary="Read one version's rows",
        tags=["data"],
        response_class=Response,
        responses=responses,
        description=rows_doc,
    )
    def get_version_rows(
        request: Request,
        product_id: ProductId,
        version: Annotated[str, PathParam(description="the version number")],
        credentials: Credentials,
    ) -> Response:
        return read_rows(request, credentials, product_id, version)

    @router.api_route(
        "/{rest:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    def not_found(request: Request, rest: str) -> Response:
        if request.method != "GET":
            raise ApiError(
                405, f"{request.method} is not allowed: the API is read-only (GET)", {"Allow": "GET"}
            )
        raise ApiError(404, f"no such endpoint: {request.url.path[:120]}")

    return router

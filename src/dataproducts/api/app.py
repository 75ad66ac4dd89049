"""A small application serving the API alone (``build_router`` at ``/api``), for tests and for running the
API without the portal: ``uvicorn --factory dataproducts.api.app:app_from_env`` with ``DP_PROJECT_DIR``.

``dp serve`` (the portal, issue 14 part 1) mounts the same router at ``/api`` in its own application.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from dataproducts.api import build_router
from dataproducts.config import ProjectConfig, load_config

API_PREFIX = "/api"


def create_app(cfg: ProjectConfig, **router_options: Any) -> FastAPI:
    """The API at ``/api``, its OpenAPI document at ``/api/openapi.json``. No Swagger or ReDoc pages: they
    load their scripts from a CDN, and the shipped HTML loads nothing from the network."""
    app = FastAPI(
        title="dataproducts data and metadata API",
        version="1",
        description="Products, descriptors, SLO status and history, ODCS contracts, and paged reads of a "
        "product's rows under the access policy of roles.yml (docs/api.md).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(build_router(cfg, **router_options), prefix=API_PREFIX)
    return app


def app_from_env() -> FastAPI:
    """``create_app`` for the project of ``DP_PROJECT_DIR`` (or the current directory)."""
    return create_app(load_config(None))

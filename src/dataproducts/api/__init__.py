"""The data and metadata API served by ``dp serve`` under ``/api`` (issue 14, part 2).

``build_router(cfg)`` returns the FastAPI router the portal's application mounts at ``/api``.
"""

from __future__ import annotations

from fastapi import APIRouter

from dataproducts.config import ProjectConfig


def build_router(cfg: ProjectConfig) -> APIRouter:
    """The API's routes for the project ``cfg`` (none yet: the API is being built)."""
    del cfg
    return APIRouter()

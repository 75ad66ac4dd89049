"""``manifest.json`` of a published files run: one typed model, written by ``publish`` and read by ``verify``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FILE = "manifest.json"
LATEST_FILE = "latest"  # <files>/latest: the run id of the latest complete run, one line
RUNS_DIR = "runs"
DATA_DIR = "data"
ROLES_DIR = "roles"
MANIFEST_VERSION = 1

Audience = Literal["clear", "masked"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class ColumnType(_Model):
    name: str
    type: str = Field(description="The DuckDB type the Parquet file reads back as.")


class FileEntry(_Model):
    path: str = Field(description="POSIX path relative to the run folder.")
    product: str = Field(description="The product id, <domain>.<name>, as the catalog names it.")
    version: int | None = Field(description="The product version (null for an unversioned product).")
    audience: Audience = Field(description="clear, or masked: personal-data columns NULL.")
    role: str | None = Field(default=None, description="The role whose tree holds this file (null: data/).")
    masked_columns: list[str] = Field(default_factory=list)
    partition: str | None = Field(default=None, description="YYYY-MM of the event time, when partitioned.")
    columns: list[ColumnType] = Field(alias="schema", description="The schema, in file order.")
    row_count: int
    sha256: str
    size: int


class FilesManifest(_Model):
    manifest_version: int = MANIFEST_VERSION
    run_id: str
    as_of: str | None
    created_at: str
    files: list[FileEntry]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True) + "\n"

"""One exception hierarchy and the documented exit codes.

Every error the runner can foresee is a ``DataProductsError``; the CLI prints its one-line message and exits
with its ``exit_code`` (2 unless stated). Anything else is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every ``dp`` command."""

    OK = 0
    FAILED = 1  # checks, expectations or SLOs failed: the data broke a promise
    ERROR = 2  # usage, configuration or input error: the tool could not judge


class DataProductsError(Exception):
    """Base class: a problem the user can fix, reported in one line."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(DataProductsError):
    """A command-line option or value is wrong."""


class ConfigError(DataProductsError):
    """The project, its configuration or an environment variable is wrong."""


class ArtifactError(DataProductsError):
    """A dbt artifact (manifest, run results, sources, catalog) is missing, malformed or unsupported."""


class SuiteError(DataProductsError):
    """A Great Expectations suite file is missing, malformed or does not match a product."""


class WarehouseError(DataProductsError):
    """The warehouse is missing, locked, unbuilt or cannot be queried."""


class HistoryError(DataProductsError):
    """The SLO history store is unreadable or inconsistent."""


class DbtError(DataProductsError):
    """dbt itself could not run (not: a model or test failed)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none): one-line errors."""
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


class LockError(DataProductsError):
    """Another ``dp`` command holds the project's lock, or dbt is writing the warehouse."""


class RunRecordError(DataProductsError):
    """A run record is missing, unreadable, or contradicts what a command was asked to do."""


class OutputError(DataProductsError):
    """An output (report, catalog, contract, changelog, record) cannot be written: the path is named."""

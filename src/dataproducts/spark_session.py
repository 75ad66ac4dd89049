"""The runner's own Spark session on a Spark target's warehouse: one JVM per ``dp`` process, only while used.

dbt-spark's ``session`` method runs Spark inside dbt's process, on a Derby metastore that one process at a
time may open. ``dp`` reads the same warehouse (validation, evidence, the run ledger, the landing state)
through a session of its own with the same settings (the target's ``server_side_parameters``), so it must
never hold the metastore while dbt runs: :func:`acquire` starts the JVM on first use, :func:`release` stops
it (the JVM process ends, and with it Derby's lock) when the last user lets go. A command that reads the
warehouse several times in a row keeps one JVM with :func:`held`.

The JVM starts in the project directory, as dbt's does (``dp`` runs dbt from there), so relative paths in the
profile (warehouse folder, metastore) mean the same for both. Its console output (Spark's log lines) goes to
``logs/dp-spark.log`` of the project, not to the terminal. pyspark is imported here only: the spark extra
(``pip install -e '.[spark]'``) is needed on a Spark target alone.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dataproducts.errors import WarehouseError

LOG_FILE = Path("logs") / "dp-spark.log"
# settings every session gets: dbt-spark forces the first; times are UTC as the profile's sessions say
FIXED_CONF: Mapping[str, str] = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.catalogImplementation": "hive",
    "spark.ui.showConsoleProgress": "false",
}

_lock = threading.RLock()
_state: dict[str, Any] = {"key": None, "session": None, "users": 0, "log": None}


def _import_pyspark() -> Any:
    # pyspark warns on import under pandas 3 (GX's pandas); dp's use of it (SQL, DataFrames) needs no pandas
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    try:
        import pyspark
    except ImportError as exc:
        raise WarehouseError(
            "a spark target needs the spark extra: pip install 'dataproducts[spark]' "
            "(from a clone: pip install -e '.[spark]')"
        ) from exc
    return pyspark


def acquire(conf: Mapping[str, str], project_dir: Path) -> Any:
    """The process's SparkSession for ``conf`` (started in ``project_dir`` when none runs), counted as one
    more user until :func:`release`. A session with other settings still in use is an error."""
    key = (tuple(sorted(conf.items())), str(project_dir.resolve()))
    with _lock:
        if _state["session"] is not None:
            if _state["key"] != key:
                raise WarehouseError(
                    "a Spark session with other settings is open in this process (one Spark target at a time)"
                )
            _state["users"] += 1
            return _state["session"]
        session = _start(conf, project_dir)
        _state.update(key=key, session=session, users=1)
        return session


def release() -> None:
    """One user less; the last one stops the session and its JVM (the metastore is free again)."""
    with _lock:
        if _state["session"] is None:
            return
        _state["users"] -= 1
        if _state["users"] > 0:
            return
        session = _state["session"]
        _state.update(key=None, session=None, users=0)
        _stop(session)


@contextlib.contextmanager
def held(conf: Mapping[str, str], project_dir: Path) -> Iterator[Any]:
    """One session for the whole ``with`` block (every connection opened inside shares its JVM)."""
    session = acquire(conf, project_dir)
    try:
        yield session
    finally:
        release()


def running() -> bool:
    """Is a session of this process running (a JVM holding the metastore)?"""
    return _state["session"] is not None


def _start(conf: Mapping[str, str], project_dir: Path) -> Any:
    _import_pyspark()
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    settings = {**conf, **FIXED_CONF}
    spark_conf = SparkConf(loadDefaults=False)
    for name, value in settings.items():
        spark_conf.set(name, value)
    log = project_dir / LOG_FILE
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("ab")
    try:
        gateway = launch_gateway(  # type: ignore[no-untyped-call,unused-ignore]
            spark_conf, popen_kwargs={"cwd": str(project_dir), "stdout": out, "stderr": subprocess.STDOUT}
        )
        context = SparkContext(conf=spark_conf, gateway=gateway)
        context.setLogLevel("ERROR")
        # pyspark logs each failed statement as JSON on stderr; the WarehouseError raised says it in one line
        logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
        session = SparkSession.builder.enableHiveSupport().getOrCreate()
    except Exception as exc:
        out.close()
        _kill_jvm()
        raise WarehouseError(
            f"cannot start a Spark session ({settings.get('spark.master', 'local[*]')}): "
            f"{_spark_reason(exc)} (see {log})"
        ) from exc
    _state["log"] = out
    return session


def _stop(session: Any) -> None:
    with contextlib.suppress(Exception):
        session.stop()
    _kill_jvm()
    out = _state.get("log")
    _state["log"] = None
    if out is not None:
        with contextlib.suppress(Exception):
            out.close()


def _kill_jvm() -> None:
    """End the JVM pyspark started (``spark.stop()`` keeps it) and forget it, so the next session starts a
    new one and Derby's lock on the metastore goes with the old."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if gateway is not None:
        with contextlib.suppress(Exception):
            gateway.shutdown()
    if proc is not None:
        with contextlib.suppress(Exception):
            proc.stdin.close()  # the JVM exits when its stdin closes
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
    SparkContext._gateway = None
    SparkContext._jvm = None
    SparkContext._active_spark_context = None
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    if hasattr(SparkSession, "_active_session_tl"):  # pyspark's thread-local active session
        SparkSession._active_session_tl = threading.local()


def _spark_reason(exc: BaseException) -> str:
    """One line from a Spark or py4j exception (the Java message, not its stack); a Derby metastore that
    another process holds is named as such."""
    text = str(getattr(exc, "desc", None) or exc)
    if "XSDB6" in text or "Another instance of Derby" in text or "SessionHiveMetaStoreClient" in text:
        text = text + "\n" + _java_causes(exc)
    if "XSDB6" in text or "Another instance of Derby" in text:
        return (
            "the Derby metastore is open in another process (a dbt run or another dp on this warehouse?): "
            "one process at a time may use it"
        )
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else exc.__class__.__name__
    for prefix in ("org.apache.spark.sql.AnalysisException: ", "java.lang.RuntimeException: "):
        first = first.removeprefix(prefix)
    return first[:300]


def _java_causes(exc: BaseException) -> str:
    """The Java exception's chain of causes, as text (the JVM must still run): where Spark hides why the Hive
    metastore client could not start."""
    parts: list[str] = []
    with contextlib.suppress(Exception):
        throwable = getattr(exc, "_origin", None) or getattr(exc, "java_exception", None)
        while throwable is not None and len(parts) < 20:
            parts.append(str(throwable.toString()))
            throwable = throwable.getCause()
    return "\n".join(parts)


def spark_reason(exc: BaseException) -> str:
    """Public: one line on why Spark refused a statement."""
    return _spark_reason(exc)


def is_spark_error(exc: BaseException) -> bool:
    """Is ``exc`` an error Spark (or its JVM bridge) raised about a statement?"""
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
    except ImportError:
        return False
    return isinstance(exc, (PySparkException, Py4JError))

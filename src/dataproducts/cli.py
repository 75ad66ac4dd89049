"""The thin command line: parse options, call one library function, map the result to an exit code.

Exit codes (``dataproducts.errors.ExitCode``): 0 ok, 1 checks/expectations/SLOs failed, 2 usage, config or
input error. Errors print one line on stderr; ``--debug`` adds the traceback. Library modules are imported
inside each command so that ``dp --help`` stays fast and nothing runs at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dataproducts.errors import DataProductsError, ExitCode, UsageError

Handler = Callable[[argparse.Namespace], int]


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions as usual, keeps text that is laid out already (the examples) as it is."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


MIN_DATE = dt.date(1971, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MAX_WINDOW_DAYS = 3650


def _date(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r} (expected YYYY-MM-DD)") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise argparse.ArgumentTypeError(f"date {value} is outside {MIN_DATE} .. {MAX_DATE}")
    return day


def _wait_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number of seconds {value!r}") from None
    if not 0 <= seconds <= 86400 or seconds != seconds:
        raise argparse.ArgumentTypeError(f"--wait takes 0 to 86400 seconds, got {value}")
    return seconds


def _add_wait(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        nargs="?",
        type=_wait_seconds,
        const=-1.0,
        default=None,
        metavar="SECONDS",
        help="when another dp command holds the project lock (or dbt is writing the warehouse), wait for it "
        "(for SECONDS at most; without a number, as long as it takes) instead of exiting 2",
    )


def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--target",
        "-t",
        default=None,
        metavar="NAME",
        help="the dbt profile's target to build and read: a duckdb file or a postgres database (default: "
        "DBT_TARGET, else the profile's own target)",
    )


def _add_run(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument(
        "--run",
        default=None,
        metavar="ID",
        help=f"{verb} this run record (run id, dbt invocation id, or a unique prefix; see <runs>/) instead of "
        "the newest build's",
    )


def _common() -> _Parser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--project-dir",
        default=argparse.SUPPRESS,
        help="the dbt project to work on (default: current directory, or DP_PROJECT_DIR)",
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    common.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default=argparse.SUPPRESS,
        help="colour the output: auto (default: on a terminal, unless NO_COLOR is set), always, never",
    )
    return common


def _add_format(p: argparse.ArgumentParser) -> None:
    """``--format json``: one JSON document on stdout (docs/cli-json.md), nothing else there."""
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="output format: text, or json (one document on stdout; logs and advice on stderr; default text)",
    )


def _json(args: argparse.Namespace) -> bool:
    return getattr(args, "format", "text") == "json"


def _print_text(text: str) -> None:
    """A command's text output, its status words coloured when stdout is a terminal (dataproducts.term)."""
    from dataproducts.term import Style

    print(Style.for_stream(sys.stdout).statuses(text))


def _print_json(document: dict[str, Any]) -> None:
    from dataproducts.jsonout import dumps

    print(dumps(document))


def _no_quiet_json(args: argparse.Namespace) -> None:
    if _json(args) and getattr(args, "quiet", False):
        raise UsageError(f"dp {args.command}: --quiet and --format json exclude each other")


# The project paths every command can override; the flag wins over DP_* and dataproducts.yml (config.py).
_PATH_OPTIONS: dict[str, tuple[str, str]] = {
    "warehouse": (
        "--warehouse",
        "warehouse file (default: the DuckDB path of the dbt profile, or DP_WAREHOUSE)",
    ),
    "target_dir": ("--target-dir", "dbt target directory (default target, or DP_TARGET_DIR)"),
    "reports_dir": ("--reports-dir", "where reports go (default reports, or DP_REPORTS_DIR)"),
    "history": ("--history", "SLO history file (default warehouse/slo_history.duckdb, or DP_HISTORY)"),
    "runs_dir": ("--runs-dir", "run records and the project lock (default runs, or DP_RUNS_DIR)"),
    "files_dir": ("--files-dir", "the files port: published Parquet runs (default files, or DP_FILES_DIR)"),
}


def _add_paths(p: argparse.ArgumentParser, *names: str, **help_overrides: str) -> None:
    """Add the path options ``names`` (keys of ``_PATH_OPTIONS``) to a command."""
    for name in names:
        flag, default_help = _PATH_OPTIONS[name]
        p.add_argument(flag, default=None, help=help_overrides.get(name, default_help))


def _add_select(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument(
        "--select",
        "-s",
        action="append",
        metavar="PRODUCT",
        help=f"{verb} only these products: name, <domain>.<name> or a domain; repeat or comma-separate",
    )


def _config(args: argparse.Namespace, **options: Any):  # type: ignore[no-untyped-def]
    """The project's configuration, with the path options this command was given (``options``: the dbt
    ``target`` and the profile ``adapters`` the command works on, as ``load_config`` takes them)."""
    from dataproducts.config import load_config

    overrides: dict[str, Any] = {name: getattr(args, name, None) for name in _PATH_OPTIONS}
    return load_config(getattr(args, "project_dir", None), **options, **overrides)


def _target_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The configuration of a command that runs on DuckDB, PostgreSQL and Spark targets (``--target``)."""
    from dataproducts.profile import TARGET_ADAPTERS

    return _config(args, target=args.target, adapters=TARGET_ADAPTERS)


# --- generate ---------------------------------------------------------------------------------------------


def _add_generate(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "generate",
        parents=[common],
        help="write deterministic landing data for the CRM, web shop and telemetry sources",
        description="Write deterministic, realistic landing data (schemas raw_crm, raw_shop, raw_telemetry "
        "in the warehouse, described by raw_meta.landing_state) as of a day: replacing what was there, or with "
        "--append growing it from its recorded as-of day (new rows, late arrivals, status changes). Day by day "
        "or at once, clean days give the same landing tables.",
    )
    p.add_argument(
        "--scale",
        type=float,
        default=None,
        help="1 is 100 000 orders every two years (default 1; --append: recorded)",
    )
    p.add_argument(
        "--seed", type=int, default=None, help="random seed (default 42; --append: the recorded one)"
    )
    p.add_argument(
        "--as-of", type=_date, default=None, help="simulated load day YYYY-MM-DD (default: today, UTC)"
    )
    p.add_argument(
        "--append",
        action="store_true",
        help="grow the landing data from its recorded as-of day to --as-of instead of replacing it",
    )
    p.add_argument(
        "--history-start",
        type=_date,
        default=None,
        metavar="DATE",
        help="the first order day (default: 730 days before --as-of; at most 3650 days before it)",
    )
    p.add_argument(
        "--inject",
        default="",
        metavar="FAULT[,FAULT]",
        help="faults to inject: late, nulls, duplicates, schema_drift, volume_drop",
    )
    p.add_argument(
        "--target",
        "-t",
        default=None,
        metavar="NAME",
        help="the dbt target to generate for (default DBT_TARGET, else the profile's); for a postgres target "
        "the data is generated into landing_<target>.duckdb next to the warehouse, then loaded into the "
        "server in one transaction; for a spark target (method session) into Parquet tables of its warehouse",
    )
    _add_wait(p)
    _add_paths(p, "warehouse", "runs_dir")
    _add_format(p)
    p.set_defaults(handler=_cmd_generate)


def _cmd_generate(args: argparse.Namespace) -> int:
    from dataproducts.generate import parse_faults
    from dataproducts.pipeline import generate_landing

    faults = parse_faults(args.inject)
    if args.scale is not None and (not 0 < args.scale <= 1000 or args.scale != args.scale):
        raise UsageError(f"dp generate: --scale must be above 0 and at most 1000, got {args.scale:g}")
    from dataproducts.profile import LANDING_ADAPTERS

    cfg = _config(args, target=args.target, adapters=LANDING_ADAPTERS)
    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    result = generate_landing(
        cfg,
        wait=args.wait,
        scale=args.scale,
        seed=args.seed,
        as_of=as_of,
        faults=faults,
        append=args.append,
        history_start=args.history_start,
    )
    if _json(args):
        from dataproducts.jsonout import generate_doc

        _print_json(generate_doc(result))
    else:
        print(result.summary())
    return ExitCode.OK


# --- validate ---------------------------------------------------------------------------------------------


def _add_validate(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    from dataproducts.validation.names import DEFAULT_ENGINE, ENGINE_NAMES

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="validate every data product with its Great Expectations suite",
        description="Validate the built warehouse (read-only, after dbt has exited) with each data product's "
        "Great Expectations suite; write GX results, summary.json and GX Data Docs under "
        "<target>/validation/. Exit 0 when every critical expectation passed, 1 when one failed, 2 when one "
        "could not be evaluated or on an input error (then nothing is written).",
    )
    _add_select(p, "validate")
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="the run's as-of day YYYY-MM-DD for time-relative expectations (default: today, UTC)",
    )
    p.add_argument(
        "--result-format",
        type=str.upper,
        choices=["BASIC", "SUMMARY", "COMPLETE"],
        default="SUMMARY",
        help="GX result format; every one keeps element and unexpected counts (default SUMMARY)",
    )
    p.add_argument(
        "--samples",
        type=int,
        default=20,
        metavar="N",
        help="unexpected values kept per expectation (partial_unexpected_list; default 20, 0 for none)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default=DEFAULT_ENGINE.value,
        help="validation engine: sql (compiled, one scan per table), gx (Great Expectations), "
        "auto (compiled where supported, GX for the rest; default)",
    )
    p.add_argument("--no-docs", action="store_true", help="skip building GX Data Docs")
    _add_run(p, "validate")
    _add_wait(p)
    _add_target(p)
    _add_paths(p, "warehouse", "target_dir", "runs_dir")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the results directory")
    _add_format(p)
    p.set_defaults(handler=_cmd_validate)


def _cmd_validate(args: argparse.Namespace) -> int:
    from dataproducts.pipeline import validate

    if args.samples < 0:
        raise UsageError("dp validate: --samples must be >= 0")
    _no_quiet_json(args)
    cfg = _target_config(args)
    run = validate(
        cfg,
        run=args.run,
        wait=args.wait,
        select=args.select,
        as_of=args.as_of,
        result_format_name=args.result_format,
        samples=args.samples,
        engine=args.engine,
        data_docs=not args.no_docs,
    )
    if _json(args):
        from dataproducts.jsonout import validate_doc

        _print_json(validate_doc(run))
    elif args.quiet:
        print(run.output_dir)
    else:
        _print_text(run.report())
    if run.unsuited:
        from dataproducts.validation.runner import unsuited_note

        print(f"dp: advice: {unsuited_note(run.unsuited)}", file=sys.stderr)
    return int(run.exit_code)


# --- check (governance) -----------------------------------------------------------------------------------


def _add_check(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "check",
        parents=[common],
        help="lint every data product against the governance rules (DP001...)",
        description="Parse the project (dbt parse) and check every public data product against the governance "
        "rules documented in docs/governance.md: owner, docs, contract, primary key, descriptor, quality suite, "
        "consumers, source freshness, access, conformed columns, pass-throughs (proven on the built warehouse) "
        "and personal data. One line per violation with product, rule and fix. Exit 0 clean, 1 on violations "
        "that are not waived in waivers.yml, 2 on an input or configuration error.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    _add_select(p, "check")
    p.add_argument("--manifest", default=None, help="check this manifest.json instead of running dbt parse")
    _add_paths(
        p, "warehouse", warehouse="built warehouse for the pass-through proof (default: the project's)"
    )
    p.add_argument(
        "--no-warehouse", action="store_true", help="judge pass-throughs on the SQL text only (no warehouse)"
    )
    _add_target(p)
    p.add_argument(
        "--standards", default=None, help="conformed columns (default standards/conformed_columns.yml)"
    )
    p.add_argument("--waivers", default=None, help="rule waivers (default waivers.yml)")
    _add_paths(p, "target_dir")
    p.add_argument(
        "--as-of", type=_date, default=None, help="judge waiver expiry at this day (default today)"
    )
    p.set_defaults(handler=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataproducts.governance.check import run_check

    cfg = _target_config(args)
    report = run_check(
        cfg,
        manifest_path=Path(args.manifest) if args.manifest else None,
        use_warehouse=not args.no_warehouse,
        standards_path=Path(args.standards) if args.standards else None,
        waivers_path=Path(args.waivers) if args.waivers else None,
        select=args.select,
        today=args.as_of,
    )
    if args.format == "json":
        print(report.render_json())
    else:
        _print_text(report.render_text())
    return int(report.exit_code)


# --- report (SLOs) -----------------------------------------------------------------------------------------


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _window_days(value: str) -> int:
    number = _positive_int(value)
    if number > MAX_WINDOW_DAYS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_WINDOW_DAYS} days, got {number}")
    return number


def _add_slo_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on",
        choices=["breached", "at_risk", "never"],
        default="breached",
        help="exit 1 when any product is breached or unknown (default), also at risk (at_risk), or never",
    )
    p.add_argument(
        "--window-days",
        type=_window_days,
        default=None,
        metavar="N",
        help="rolling window of the error budgets (default: each product's slo.window_days, else 28)",
    )
    _add_wait(p)
    _add_paths(p, "warehouse", "target_dir", "reports_dir", "history", "runs_dir")


def _add_report(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "report",
        parents=[common],
        help="judge every data product's SLOs for the last dbt build and write the SLO report",
        description="Read manifest.json, run_results.json, sources.json (when present), the validation "
        "summary and the SLO history; judge each data product's SLIs, append the run to the history "
        "(idempotent per dbt invocation) and write reports/latest/slo_report.{json,md,html} plus a dated "
        "copy. Exit 0 when every product is met or at risk, 1 when one is breached (see --fail-on), 2 on an "
        "input error (then nothing is written). See docs/slo.md.",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="the run's as-of day YYYY-MM-DD, checked against the run's own (default: the as_of var of the "
        "dbt build, else the build's day)",
    )
    _add_run(p, "judge")
    _add_select(p, "report")
    _add_slo_options(p)
    _add_target(p)
    p.add_argument("--quiet", "-q", action="store_true", help="print only the report's path")
    _add_format(p)
    p.add_argument(
        "--notify",
        action="store_true",
        help="post breached and at-risk products to the webhooks of alerts: in dataproducts.yml (a failing "
        "webhook is a warning, never another exit code; docs/alerts.md)",
    )
    p.set_defaults(handler=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from dataproducts.pipeline import report

    _no_quiet_json(args)
    cfg = _target_config(args)
    alerts = _alert_settings(cfg) if args.notify else None
    written = report(
        cfg,
        run=args.run,
        wait=args.wait,
        as_of=args.as_of,
        window_days=args.window_days,
        select=args.select,
    )
    if _json(args):
        from dataproducts.jsonout import report_doc

        _print_json(report_doc(written, args.fail_on))
    elif args.quiet:
        print(written.latest_dir / "slo_report.json")
    else:
        _print_text(written.summary())
    if alerts is not None:
        from dataproducts.alerts import notify

        result = notify(alerts, written)
        for line in [] if args.quiet or _json(args) else result.posted:
            print(line)  # stdout holds the one JSON document with --format json
        for line in result.failures:
            print(f"dp: warning: {line}", file=sys.stderr)
    if written.checkpoint_error:
        print(f"dp: error: {written.checkpoint_error}", file=sys.stderr)
        return int(ExitCode.ERROR)
    return int(written.report.exit_code(args.fail_on))


def _alert_settings(cfg: Any) -> Any:
    """``alerts:`` of dataproducts.yml for --notify, checked before the report is written."""
    from dataproducts.alerts import load_alerts
    from dataproducts.config import CONFIG_FILE
    from dataproducts.errors import ConfigError

    settings = load_alerts(cfg)
    if settings is None:
        raise UsageError(f"--notify: {cfg.project_dir / CONFIG_FILE} has no alerts: section (docs/alerts.md)")
    if settings.problems:
        raise ConfigError(f"{cfg.project_dir / CONFIG_FILE}: {settings.problems[0]}")
    return settings


# --- nightly and simulate -----------------------------------------------------------------------------------


def _add_nightly(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "nightly",
        parents=[common],
        help="the nightly job: dbt source freshness, dbt build, dp validate, dp report, dp publish, dbt docs",
        description="Run dbt source freshness, dbt build, dp validate and dp report for one as-of day, publish "
        "the built product versions as Parquet under <files>/runs/<run id>/ (dp publish), then "
        "dbt docs generate --static into <target>/docs (the site the report links to). A failed freshness "
        "check or build does not stop the job: the report is still written. Progress lines on a terminal, "
        "timestamped plain lines otherwise. Exit code: the report's (see --fail-on); 2 when dbt could not "
        "run or on an input error.",
    )
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="the as-of day YYYY-MM-DD the data was loaded (default today UTC)",
    )
    p.add_argument(
        "--select",
        "-s",
        action="append",
        metavar="PRODUCT",
        help="build (with upstream), validate and report only these products; repeat or comma-separate",
    )
    p.add_argument("--no-docs", action="store_true", help="skip dbt docs generate and GX Data Docs")
    p.add_argument(
        "--no-notify", action="store_true", help="post no alerts, even when dataproducts.yml configures them"
    )
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental products from all history (dbt build --full-refresh); chosen "
        "without asking when dp generate replaced the landing area since the last build",
    )
    _add_slo_options(p)
    _add_paths(p, "files_dir")
    _add_target(p)
    _add_format(p)
    p.set_defaults(handler=_cmd_nightly)


def _cmd_nightly(args: argparse.Namespace) -> int:
    from dataproducts.pipeline import NightlyOptions, Progress, nightly

    options = NightlyOptions(
        as_of=args.as_of,
        select=args.select,
        window_days=args.window_days,
        fail_on=args.fail_on,
        docs=not args.no_docs,
        data_docs=not args.no_docs,
        full_refresh=args.full_refresh,
        notify=not args.no_notify,
    )
    # steps: live on a terminal's stderr; plain lines on stdout, or on stderr when stdout holds the JSON
    progress = Progress(options.steps, sys.stderr if _json(args) else None)
    result = nightly(_target_config(args), options, progress=progress, wait=args.wait)
    if _json(args):
        from dataproducts.jsonout import nightly_doc

        _print_json(nightly_doc(result, args.fail_on))
    else:
        _print_text(result.report.summary())
    if result.report.checkpoint_error:
        print(f"dp: error: {result.report.checkpoint_error}", file=sys.stderr)
    return int(result.exit_code)


def _add_simulate(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "simulate",
        parents=[common],
        help="run the real nightly pipeline for N simulated days with deterministic incidents",
        description="For each of N consecutive as-of days: dp generate --as-of D (with the incident schedule's "
        "faults that day) and the nightly steps, so the SLO history and report show real trends and real "
        "breaches. Prints the schedule first. Default schedule: the feed is late mid-way; with 5 days or "
        "more also nulls,duplicates earlier and a volume_drop later. Exit 0 when the simulation ran "
        "(see --fail-on), 2 on an error.",
    )
    p.add_argument("--days", type=_positive_int, required=True, metavar="N", help="how many days to simulate")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--end", type=_date, default=None, help="the last as-of day (default today UTC)")
    when.add_argument("--start", type=_date, default=None, help="the first as-of day instead")
    p.add_argument("--scale", type=float, default=0.05, help="landing data scale (default 0.05)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--incident",
        action="append",
        default=None,
        metavar="DAY=FAULTS",
        help="replace the default schedule: e.g. 3=late or 2026-11-12=nulls,duplicates (repeatable)",
    )
    p.add_argument("--no-incidents", action="store_true", help="simulate clean days only")
    p.add_argument("--reset-history", action="store_true", help="delete the SLO history file first")
    p.add_argument("--no-docs", action="store_true", help="skip dbt docs generate on the last day")
    p.add_argument("--verbose", "-v", action="store_true", help="show every step of every day")
    _add_slo_options(p)
    _add_paths(p, "files_dir")
    _add_format(p)
    p.set_defaults(handler=_cmd_simulate, fail_on="never")


def _cmd_simulate(args: argparse.Namespace) -> int:
    from dataproducts.pipeline import default_schedule, parse_incidents, simulate

    cfg = _config(args)
    if args.incident and args.no_incidents:
        raise UsageError("dp simulate: --incident and --no-incidents exclude each other")
    start = args.start or (args.end or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=args.days - 1)
    if args.no_incidents:
        schedule: dict[int, tuple[str, ...]] = {}
    elif args.incident:
        schedule = parse_incidents(args.incident, args.days, start)
    else:
        schedule = default_schedule(args.days)
    result = simulate(
        cfg,
        days=args.days,
        start=start,
        scale=args.scale,
        seed=args.seed,
        schedule=schedule,
        window_days=args.window_days,
        docs=not args.no_docs,
        reset_history=args.reset_history,
        verbose=args.verbose,
        wait=args.wait,
        stream=sys.stderr if _json(args) else None,
    )
    if _json(args):
        from dataproducts.jsonout import simulate_doc

        _print_json(simulate_doc(result, args.fail_on))
    if result.last is None:
        return int(ExitCode.OK)
    return int(result.last.report.report.exit_code(args.fail_on))


# --- diff (governance) ------------------------------------------------------------------------------------


def _add_diff(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "diff",
        parents=[common],
        help="classify product changes against a previous manifest and write a consumer changelog",
        description="Compare the current project (dbt parse) with a previous manifest (--state: a directory "
        "holding manifest.json, e.g. the last production build's target) and classify every data product "
        "change as breaking, non-breaking or documentation only. Writes a Markdown changelog naming, per "
        "changed product, what changed, the affected exposures and the owners to tell. Exit 1 when a public "
        "product has a breaking change that was not released as a new version, 0 otherwise, 2 on input errors.",
    )
    p.add_argument("--state", required=True, help="directory with the previous manifest.json (or the file)")
    p.add_argument("--manifest", default=None, help="the current manifest.json instead of running dbt parse")
    p.add_argument("--output", "-o", default=None, help="changelog path (default <reports>/changelog.md)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="stdout format (default text)")
    p.add_argument(
        "--as-of", type=_date, default=None, help="judge deprecation dates at this day (default today, UTC)"
    )
    _add_paths(p, "target_dir", "reports_dir")
    p.set_defaults(handler=_cmd_diff)


def _cmd_diff(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataproducts.governance.diff import run_diff

    cfg = _config(args)
    report = run_diff(
        cfg,
        Path(args.state),
        manifest_path=Path(args.manifest) if args.manifest else None,
        output=Path(args.output) if args.output else None,
        as_of=args.as_of,
    )
    if args.format == "json":
        print(report.render_json())
    else:
        _print_text(report.render_text())
    return int(report.exit_code)


# --- catalog and export (governance) ----------------------------------------------------------------------


def _add_catalog(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "catalog",
        parents=[common],
        help="write the data product catalog (JSON, Markdown, HTML)",
        description="Parse the project (dbt parse) and write the data product catalog as catalog.json, "
        "catalog.md and catalog.html: every product's domain, owner, description, address and table, versions "
        "and deprecation dates, interfaces, refresh cycle, SLO targets, consumers and lineage.",
    )
    p.add_argument("--output", "-o", default=None, help="output directory (default <reports>/catalog)")
    p.add_argument("--manifest", default=None, help="use this manifest.json instead of running dbt parse")
    _add_paths(p, "target_dir", "reports_dir")
    p.add_argument(
        "--docs-blocks",
        default=None,
        metavar="PATH",
        help="also write the dbt docs product cards (one docs block dp_card_<product> each) to PATH, "
        "e.g. models/docs/_product_cards.md",
    )
    _add_format(p)
    p.set_defaults(handler=_cmd_catalog)


def _cmd_catalog(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataproducts.governance.catalog import run_catalog

    cfg = _config(args)
    paths = run_catalog(
        cfg,
        manifest_path=Path(args.manifest) if args.manifest else None,
        output=Path(args.output) if args.output else None,
        docs_blocks=Path(args.docs_blocks) if args.docs_blocks else None,
    )
    if _json(args):
        from dataproducts.jsonout import catalog_doc

        _print_json(catalog_doc(paths))
    else:
        print("\n".join(str(p) for p in paths))
    return ExitCode.OK


def _add_export(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "export",
        parents=[common],
        help="export standard data contracts (odcs: Open Data Contract Standard v3)",
        description="Write one Open Data Contract Standard v3 YAML per data product (schema, types, required "
        "and unique fields, quality rules from its suite, SLA properties from its SLO targets, owner, servers: "
        "DuckDB, PostgreSQL, the files port) to <reports>/contracts/<domain>/<product>.odcs.yaml. Every contract is validated against the "
        "official ODCS JSON Schema first; nothing is written when one does not validate (exit 2).",
    )
    p.add_argument("standard", choices=["odcs"], help="the contract standard (odcs)")
    p.add_argument("--output", "-o", default=None, help="output directory (default <reports>/contracts)")
    _add_select(p, "export")
    p.add_argument("--manifest", default=None, help="use this manifest.json instead of running dbt parse")
    _add_paths(p, "warehouse", warehouse="warehouse named in the servers entry (default: the project's)")
    _add_paths(p, "target_dir", "reports_dir")
    _add_paths(
        p, "files_dir", files_dir="the files port named in the servers entry: its latest run (default files)"
    )
    _add_format(p)
    p.set_defaults(handler=_cmd_export)


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataproducts.governance.odcs import run_export_odcs

    cfg = _config(args)
    result = run_export_odcs(
        cfg,
        manifest_path=Path(args.manifest) if args.manifest else None,
        output=Path(args.output) if args.output else None,
        select=args.select,
    )
    if _json(args):
        from dataproducts.jsonout import export_doc

        _print_json(export_doc(args.standard, result))
    else:
        print(result.render_text())
    return ExitCode.OK


# --- the files port: publish and verify ----------------------------------------------------------------------


def _add_publish(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "publish",
        parents=[common],
        help="publish the newest build's product versions as Parquet (the files port)",
        description="What dp nightly does as its publish step, for a build run by hand: every product version "
        "the newest dbt build made, as Parquet under <files>/runs/<run id>/ (data/clear, data/masked with "
        "personal-data columns NULL, and roles/<role>/ trees holding exactly what each role may read), with "
        "manifest.json written last and <files>/latest pointing at the run. Exit 0 published, 2 on an error "
        "(then no run folder is left). See docs/files.md.",
    )
    _add_wait(p)
    _add_paths(p, "warehouse", "target_dir", "runs_dir", "files_dir")
    _add_format(p)
    p.set_defaults(handler=_cmd_publish)


def _cmd_publish(args: argparse.Namespace) -> int:
    from dataproducts.pipeline import publish

    published = publish(_config(args), wait=args.wait)
    if _json(args):
        from dataproducts.jsonout import publish_doc

        _print_json(publish_doc(published))
        return int(ExitCode.OK)
    print(f"dp publish: run {published.run_id}: {published.summary()}")
    return int(ExitCode.OK)


def _add_verify(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "verify",
        parents=[common],
        help="check a published files run (or a copy of one) against its manifest",
        description="Check PATH, a published run folder (<files>/runs/<run id>, or a copy of it anywhere; a "
        "files folder stands for the run its latest file names) against its manifest.json: every file "
        "present, no extra file, sizes and SHA-256 checksums equal, and each Parquet file's row count and "
        "schema as listed. Needs no dbt project. One line per problem. Exit 0 verified, 1 not, 2 when PATH "
        "holds no readable manifest.",
    )
    p.add_argument("path", metavar="PATH", help="a run folder, or a files folder (its latest run)")
    _add_format(p)
    p.set_defaults(handler=_cmd_verify)


def _cmd_verify(args: argparse.Namespace) -> int:
    from dataproducts.files.verify import verify

    result = verify(Path(args.path))
    if _json(args):
        from dataproducts.jsonout import verify_doc

        _print_json(verify_doc(result))
    else:
        _print_text(result.render_text())
    return int(result.exit_code)


# --- access -------------------------------------------------------------------------------------------------


def _add_access(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "access",
        parents=[common],
        help="print the access matrix: product version x role x port, allowed, masked columns",
        description="Parse the project (dbt parse) and print who may read what: one row per product version "
        "relation, consumer role (roles.yml) and port (postgres, files, api), with the relation that role reads "
        "(the masked view for a masked reader), whether it may, and the columns it reads as NULL. The policy "
        "is each version's descriptor key `access` (docs/descriptor.md); `dp check` validates it.",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    p.add_argument(
        "--port", choices=["postgres", "files", "api"], action="append", help="only these ports (repeatable)"
    )
    _add_select(p, "list")
    p.add_argument("--manifest", default=None, help="use this manifest.json instead of running dbt parse")
    _add_paths(p, "target_dir")
    p.set_defaults(handler=_cmd_access)


def _cmd_access(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dataproducts.governance.access import PORTS, access_matrix, render_json, render_table

    cfg = _config(args)
    rows = access_matrix(
        cfg,
        manifest_path=Path(args.manifest) if args.manifest else None,
        select=args.select,
        ports=tuple(dict.fromkeys(args.port)) if args.port else PORTS,
    )
    sys.stdout.write(render_json(rows) if args.format == "json" else render_table(rows))
    return ExitCode.OK


# --- token --------------------------------------------------------------------------------------------------


def _add_token(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "token",
        parents=[common],
        help="mint, list or revoke the data API's bearer tokens (one role of roles.yml each)",
        description="The data API's bearer tokens (docs/api.md). `create --role ROLE` mints a token, prints it "
        "once on stdout and stores only its SHA-256 hash in the tokens file (api_tokens in dataproducts.yml, "
        "DP_API_TOKENS, or --tokens-file; default api_tokens.json, git-ignored, mode 0600); `list` shows names "
        "and roles; `revoke NAME` removes one. A running server sees the change on its next request.",
    )
    p.add_argument("action", choices=["create", "list", "revoke"], help="what to do")
    p.add_argument("name", nargs="?", default=None, help="revoke: the token's name")
    p.add_argument("--role", default=None, help="create: the role of roles.yml the token reads as")
    p.add_argument(
        "--name", dest="token_name", default=None, help="create: a name for it (default <role>-<n>)"
    )
    p.add_argument("--description", default="", help="create: who or what uses it")
    p.add_argument("--tokens-file", default=None, help="the tokens file (default: api_tokens of the project)")
    _add_format(p)
    p.set_defaults(handler=_cmd_token)


def _cmd_token(args: argparse.Namespace) -> int:
    from dataproducts.api.tokens import create_token, read_tokens, render_list, revoke_token
    from dataproducts.governance.access import load_roles
    from dataproducts.jsonout import dumps, envelope

    cfg = _config(args)
    path = Path(args.tokens_file).expanduser().resolve() if args.tokens_file else cfg.api_tokens
    if args.action == "create":
        if not args.role or args.name:
            raise UsageError(
                "dp token create: give --role ROLE (and no positional name; --name NAME names it)"
            )
        minted = create_token(
            path,
            load_roles(cfg.project_dir),
            role=args.role,
            name=args.token_name,
            description=args.description,
        )
        entry = minted.entry
        if _json(args):
            doc = envelope(
                ExitCode.OK, tokens_file=str(path), name=entry.name, role=entry.role, token=minted.token
            )
            print(dumps(doc))
        else:
            print(minted.token)
        print(f"dp token: created {entry.name} for role {entry.role} in {path} (shown once)", file=sys.stderr)
    elif args.action == "list":
        tokens = read_tokens(path)
        if _json(args):
            listed = [t.model_dump(exclude={"sha256"}) for t in tokens]
            print(dumps(envelope(ExitCode.OK, tokens_file=str(path), tokens=listed)))
        else:
            sys.stdout.write(render_list(tokens))
    else:
        if not args.name:
            raise UsageError("dp token revoke: name the token to revoke (dp token list)")
        entry = revoke_token(path, args.name)
        if _json(args):
            print(
                dumps(
                    envelope(
                        ExitCode.OK, tokens_file=str(path), revoked={"name": entry.name, "role": entry.role}
                    )
                )
            )
        else:
            print(f"dp token: revoked {entry.name} (role {entry.role}) in {path}")
    return ExitCode.OK


# --- init ---------------------------------------------------------------------------------------------------


def _add_init(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="propose data products for an existing dbt project: declarations, starter suites, standards",
        description="Propose data products for the dbt project (its public models; without any, the models "
        "under a marts folder; or what --select names) and write for each products/<domain>/<model>.yml (the "
        "descriptor, to review) and expectations/<domain>/<model>.json (a starter GX suite from the model's "
        "constraints and tests and a profile of the built table), plus standards/conformed_columns.yml. "
        "Existing files are kept unless --force. Exit 0 on success, 2 on an input or configuration error.",
    )
    p.add_argument(
        "--select",
        "-s",
        action="append",
        metavar="SELECTOR",
        help="dbt selection syntax for the models to propose (e.g. path:models/marts, tag:product); repeatable",
    )
    p.add_argument("--exclude", action="append", metavar="SELECTOR", help="dbt selection syntax to leave out")
    p.add_argument("--force", action="store_true", help="rewrite files that exist (edits are lost)")
    p.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
    p.add_argument(
        "--no-profile", action="store_true", help="do not read the built tables (no profiled bounds)"
    )
    _add_paths(p, "warehouse")
    _add_format(p)
    p.set_defaults(handler=_cmd_init)


def _cmd_init(args: argparse.Namespace) -> int:
    from dataproducts.init import InitOptions, run_init

    plan = run_init(
        _config(args),
        InitOptions(
            select=args.select,
            exclude=args.exclude,
            force=args.force,
            dry_run=args.dry_run,
            profile=not args.no_profile,
        ),
    )
    if _json(args):
        from dataproducts.jsonout import init_doc

        _print_json(init_doc(plan))
    else:
        print(plan.render())
    return int(ExitCode.OK)


# --- the portal: serve and portal build -------------------------------------------------------------------


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {value!r} (expected 0 to 65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0 .. 65535")
    return port


def _add_serve(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the product portal and the data API on a local port",
        description="One local web application over the run records: every product with its status, a page "
        "per product (/products/<name>/), the dated SLO reports, catalog, changelog, ODCS contracts, dbt docs "
        "and GX Data Docs, and the data API under /api (docs at /api/docs). Loopback only unless --host.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000; 0: any free)")
    _add_paths(p, "target_dir", "reports_dir", "history", "runs_dir")
    p.set_defaults(handler=_cmd_serve)


def _cmd_serve(args: argparse.Namespace) -> int:
    from dataproducts.portal.serve import serve

    serve(_config(args), args.host, args.port)
    return ExitCode.OK


def _add_portal(sub: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    p = sub.add_parser(
        "portal",
        parents=[common],
        help="build the product portal as a static site",
        description="`dp portal build DIR` writes the portal's pages (the same as `dp serve` shows, without "
        "the API) with relative links only, for any web server or file://. DIR is replaced whole.",
    )
    actions = p.add_subparsers(dest="portal_action", metavar="ACTION", parser_class=_Parser, required=True)
    b = actions.add_parser("build", parents=[common], help="write the static site into DIR")
    b.add_argument("directory", metavar="DIR", help="the folder to write (replaced whole)")
    _add_paths(b, "target_dir", "reports_dir", "history", "runs_dir")
    b.set_defaults(handler=_cmd_portal_build)


def _cmd_portal_build(args: argparse.Namespace) -> int:
    from dataproducts.portal.build import build_site

    built = build_site(_config(args), Path(args.directory))
    print(built.render_text())
    return ExitCode.OK


# --- registry -----------------------------------------------------------------------------------------------

_COMMANDS: list[Callable[[argparse._SubParsersAction[_Parser], _Parser], None]] = [
    _add_init,
    _add_generate,
    _add_validate,
    _add_check,
    _add_diff,
    _add_catalog,
    _add_export,
    _add_access,
    _add_token,
    _add_report,
    _add_nightly,
    _add_simulate,
    _add_publish,
    _add_verify,
    _add_serve,
    _add_portal,
]


# `dp --version`: the runner and the stack it runs on, read from package metadata (no dbt or GX import).
VERSIONED_PACKAGES = ("dbt-core", "dbt-duckdb", "great-expectations", "duckdb")


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from dataproducts import __version__

    lines = [f"dp {__version__}"]
    for name in VERSIONED_PACKAGES:
        try:
            lines.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name} not installed")
    lines.append(f"Python {sys.version.split()[0]}")
    return "\n".join(lines)


class _Versions(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show versions and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        parser.exit()


# `dp <command> --help` ends with these examples (and `dp --help` with the first of each command's).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": (
        "dp init --dry-run                      # what would be proposed, nothing written",
        "dp init --select path:models/marts     # propose the models under models/marts",
        "dp init --format json | jq '.proposals[].product'",
    ),
    "generate": (
        "dp generate --scale 0.05 --as-of 2026-11-20",
        "dp generate --append --as-of 2026-11-21 --inject late",
        "dp generate --format json | jq .row_counts",
    ),
    "validate": (
        "dp validate                            # the newest build, every product",
        "dp validate -s sales --no-docs         # only the sales domain, no Data Docs",
        "dp validate --format json | jq '.summary.products[] | {id, status}'",
    ),
    "check": (
        "dp check                               # every public product against DP001...",
        "dp check -s customers --no-warehouse   # one domain, judged on the SQL text only",
        "dp check --format json | jq '.violations[] | select(.waived | not)'",
    ),
    "diff": (
        "dp diff --state prod-target/           # against the last production manifest",
        "dp diff --state old/manifest.json -o changelog.md",
        "dp diff --state prod-target/ --format json | jq '.products[] | select(.breaking)'",
    ),
    "catalog": (
        "dp catalog                             # reports/catalog/catalog.{json,md,html}",
        "dp catalog --docs-blocks models/docs/_product_cards.md",
        "dp catalog --format json | jq -r '.files[]'",
    ),
    "export": (
        "dp export odcs                         # reports/contracts/<domain>/<product>.odcs.yaml",
        "dp export odcs -s sales.orders -o contracts/",
        "dp export odcs --format json | jq -r '.contracts[].path'",
    ),
    "access": (
        "dp access                              # the whole matrix as a table",
        "dp access --port postgres -s customers",
        "dp access --format json | jq '.[] | select(.masked_columns != [])'",
    ),
    "report": (
        "dp report                              # judge the newest build's SLOs",
        "dp report --fail-on at_risk --window-days 7",
        "dp report --format json | jq '.report.products[] | {id, status}'",
    ),
    "nightly": (
        "dp nightly                             # today's run: build, validate, report, publish, docs",
        "dp nightly --as-of 2026-11-20 --no-docs -s sales",
        "dp nightly --format json 2>nightly.log | jq '.steps[] | {name, status, seconds}'",
    ),
    "simulate": (
        "dp simulate --days 7 --reset-history",
        "dp simulate --days 3 --incident 2=late --verbose",
        "dp simulate --days 5 --format json | jq '.days[] | {as_of, overall_status}'",
    ),
    "publish": (
        "dp publish                             # the newest build's versions as Parquet under files/",
        "dp publish --files-dir /srv/files --wait 600",
        "dp publish --format json | jq .path",
    ),
    "token": (
        "dp token create --role analysts        # printed once; only its hash is kept",
        "dp token list                          # names, roles, when made (never a token)",
        "dp token revoke analysts-1 --format json",
    ),
    "verify": (
        "dp verify files                        # the run files/latest names",
        "dp verify /mnt/copy/runs/20261120T010203Z-1a2b3c4d",
        "dp verify files --format json | jq .problems",
    ),
    "serve": (
        "dp serve                               # the portal on http://127.0.0.1:8000/",
        "dp serve --port 0                      # any free port (the address is printed)",
    ),
    "portal": (
        "dp portal build site                   # the portal as a static site in site/",
        "dp portal build /srv/www/dataproducts --runs-dir /data/runs",
    ),
}


def _examples(lines: Sequence[str]) -> str:
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="dp",
        description="Data products runner: generate, validate and report on the dbt project's data products.",
        epilog="Exit codes: 0 ok, 1 checks or SLOs failed, 2 usage/config/input error.",
        parents=[common],
    )
    parser.add_argument("--version", action=_Versions)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in _COMMANDS:
        add(sub, common)
    for name, command in sub.choices.items():
        if name in EXAMPLES:
            command.epilog = _examples(EXAMPLES[name]) + "\n" + (command.epilog or _EXIT_CODES)
    firsts = [EXAMPLES[name][0] for name in sub.choices if name in EXAMPLES]
    more = f"{'dp <command> --help':<39}# its options and more examples"
    parser.epilog = _examples([*firsts, more]) + "\n" + _TERMINAL_NOTE + "\n" + _EXIT_CODES
    return parser


_EXIT_CODES = "Exit codes: 0 ok, 1 checks or SLOs failed, 2 usage/config/input error.\n"
_TERMINAL_NOTE = (
    "Output: colour only on a terminal (NO_COLOR=1 or --color never turns it off); --format json prints\n"
    "one JSON document on stdout (see docs/cli-json.md) and sends logs to stderr.\n"
)


def _color_option(raw: Sequence[str]) -> str:
    """The last valid ``--color WHEN`` / ``--color=WHEN`` of the command line, else ``auto`` (read before
    parsing, so that a usage error is coloured as asked too)."""
    from dataproducts.term import COLOR_MODES

    mode = "auto"
    for i, arg in enumerate(raw):
        value = raw[i + 1] if arg == "--color" and i + 1 < len(raw) else arg.partition("=")[2]
        if (arg == "--color" or arg.startswith("--color=")) and value in COLOR_MODES:
            mode = value
    return mode


def main(argv: Sequence[str] | None = None) -> int:
    from dataproducts import term

    raw = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in raw
    term.set_color_mode(_color_option(raw))
    try:
        args = build_parser().parse_args(raw)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            build_parser().print_help(sys.stderr)
            return ExitCode.ERROR
        return int(handler(args))
    except DataProductsError as exc:
        if debug:
            traceback.print_exc()
        label = term.Style.for_stream(sys.stderr).paint("error", "red", "bold")
        print(f"dp: {label}: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("dp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dp report | head`: the reader left; nothing to say
        with contextlib.suppress(OSError):
            sys.stdout = Path(os.devnull).open("w")  # noqa: SIM115 - keep interpreter shutdown quiet
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        print(f"dp: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)", file=sys.stderr)
        return ExitCode.ERROR

"""The SQL dialects the compiled engine writes: DuckDB's, Spark SQL's and PostgreSQL's, one :class:`Dialect`
object each.

:mod:`.compiler` writes every piece of SQL that differs between engines through the :class:`Dialect` of the
table it compiles for (:attr:`.compiler.Table.dialect`), and :mod:`.catalog` reads each engine's catalog with
it. :data:`DUCKDB` writes exactly the SQL the compiler wrote before this layer existed (held byte for byte by
``tests/unit/test_sql_dialect.py``); :data:`SPARK` writes Spark SQL (Spark 3.5+/4, ``?`` positional
parameters, the same results with ``spark.sql.ansi.enabled`` false, as dbt-spark sets it, and true);
:data:`POSTGRES` writes PostgreSQL's (15+, through psycopg2, see the end).

What differs, and how Spark does it:

=====================  =======================================  ===============================================
                       DuckDB                                   Spark
=====================  =======================================  ===============================================
identifiers            ``"name"``                               ```name``` (backticks, doubled inside)
type names             ``INTEGER``, ``DECIMAL(12,2)``,          ``int``, ``decimal(12,2)``, ``string``,
                       ``VARCHAR``, ``TIMESTAMP`` ...           ``timestamp``, ``timestamp_ntz`` ...
regex match            ``c ~ ?`` / ``c !~ ?`` (RE2, a match     ``c rlike ?`` / ``not (c rlike ?)`` (Java regex,
                       anywhere)                                ``find``): the pattern is *translated*, below
count-if               ``count(*) filter (where ...)`` on       never (no size estimate, so no small tables)
                       small tables, else ``sum(case ...)``     ``sum(case ...)``
parameters             bound as Python values                   naive datetimes as ``cast(? as timestamp_ntz)``
                                                                of their ISO text (PySpark would convert them
                                                                in the Python process's time zone)
values read back       as stored                                ``timestamp`` (session time zone) read as
                                                                ``cast(c as timestamp_ntz)`` for the same reason
integer sums           ``sum(c)`` (HUGEINT, never overflows)    ``bigint``: ``sum(cast(c as decimal(38,0)))``
                                                                read as text (Spark's bigint sum wraps silently
                                                                with ANSI off); narrower types: ``sum(c)``
semi join              ``semi join``                            ``left semi join``
catalog                one query over ``duckdb_columns()``,     ``show databases``, ``show tables in`` each,
                       ``duckdb_tables()``,                     ``describe table`` per relation when first
                       ``duckdb_constraints()``                 needed; no enforced keys (Parquet tables have
                                                                none), no size estimate (None)
small-table folds      list aggregates (``list``,               off: no size estimate; every check takes the
                       ``list_unique``, ``quantile_disc``)      big-table path (count-only ``group by`` for
                                                                uniqueness, an ordered ``limit 2 offset`` read
                                                                for the median, ``select distinct``)
=====================  =======================================  ===============================================

**Where Spark cannot reproduce GX-on-DuckDB's metric exactly the Spark dialect raises** :class:`Unsupported`
**and** ``auto`` **hands that expectation to Great Expectations** (the compiler's contract):

* Regular expressions outside a subset whose meaning is the same in RE2 (DuckDB's ``~``) and Java's
  ``java.util.regex`` (Spark's ``rlike``). :func:`java_regex` translates the subset into a Java pattern that
  finds a match exactly where RE2 does: literals (every one written as an escape or ``\\x{h}``), ``.``
  (``[^\\n]``; any character after a leading ``(?s)``), ``^``/``\\A`` and ``$``/``\\z`` (RE2's ``$`` is the
  end of the text; Java's would also match before a final line break), classes ``[...]``/``[^...]`` of
  characters and ranges, ``\\d \\w \\s`` and their negations spelt out as RE2 defines them (ASCII; Java's
  ``\\s`` also takes ``\\x0B``), groups ``(...)``/``(?:...)``, alternation, and the quantifiers ``* + ?
  {n} {n,} {n,m}`` (lazy or greedy: only whether a match exists is counted). Refused: flags other than a
  leading ``(?s)`` (``(?i)`` folds case differently), ``\\b``, ``\\p{..}``, POSIX classes, backreferences,
  look-around, possessive quantifiers, a ``{`` that is not a repetition (RE2 reads it literally, Java
  fails), repetitions above 1000, a class range starting at ``\\d`` and ``\\x`` escapes of no character
  (RE2 fails on all three), and a repeated group that itself holds an unbounded repetition (Java backtracks
  exponentially on it; RE2 does not).
* Column types outside :meth:`SparkDialect.type_family`'s families (``char(n)``, which pads; collated
  strings; ``interval``, arrays, maps, structs, ``binary``, ``variant``): not compiled, as their DuckDB
  counterparts are not.
* Parameters whose Spark literal would not be the same value: timezone-aware datetimes (DuckDB compares a
  ``TIMESTAMP`` with one in its own ``TimeZone`` setting), text bounds against date/time columns (Spark
  casts text to the column's type, DuckDB to the bound's), integers beyond 64 bits, decimals beyond 38
  digits.

Two things follow each engine's scan order, on DuckDB (GX's own queries included) as on Spark, and are not
refused: floating-point sums and means add in scan order (with more than one partition or thread their last
bits can differ between two runs of the same engine), and when ``0.0`` and ``-0.0`` tie as a column's max,
min or median, which one is reported (DuckDB's ``max`` keeps the last of the tie, Spark's the first: the
observed value prints ``0.0`` on one and ``-0.0`` on the other, with the same success).

**PostgreSQL** (:class:`PostgresDialect`): double quotes as DuckDB; ``format_type``'s type names
(``integer``, ``numeric(12,2)``, ``double precision``, ``text``, ``character varying(n)``, ``timestamp
without time zone`` ...; ``character(n)``, which pads, and ``timestamp with time zone``, read back in the
session's zone, are not compiled); the regex ``~``/``!~`` with the pattern translated to PostgreSQL's AREs
(the same subset as Spark's, ``\\U`` escapes, bounds up to 255); float parameters as ``cast(? as double
precision)`` (psycopg2 writes a float as a ``numeric`` literal, which would compare exactly, where DuckDB
compares doubles); the mean as ``sum(x) / nullif(count(x), 0)`` of doubles (``avg(float8)`` also sums the
squares and raises on an overflow DuckDB never meets); ``bigint`` sums (``numeric``) read as text; text
compared by ``max``/``min``/``<`` as ``c collate "C"``, DuckDB's byte order, whatever the column's collation
(equality is byte equality under any deterministic collation); ``where exists`` for the semi join and an
alias on a subquery in FROM. The catalog is one query over ``pg_catalog`` (columns, the enforced PRIMARY
KEY/UNIQUE column sets, which PostgreSQL enforces as DuckDB does, ``reltuples``); no folds (no list
aggregates). Refused as on Spark: timezone-aware datetime bounds, text bounds against date/time columns,
non-finite decimals, regexes outside the subset.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DUCKDB",
    "POSTGRES",
    "SPARK",
    "Dialect",
    "DuckDBDialect",
    "PostgresDialect",
    "SparkDialect",
    "Unsupported",
    "dialect_named",
]


class Unsupported(Exception):
    """This expectation (or one of its options) is not compiled; Great Expectations validates it."""


Reader = Callable[[Any], Any]  # turns a scan value into the metric (e.g. a sum read as text)


class Dialect:
    """What the compiler and the catalog write differently per engine. The base class is DuckDB's."""

    name = "duckdb"
    default_schema = "main"  # the schema of a relation named without one
    folds = True  # small tables fold follow-up queries into the scan (list aggregates)
    semi_join = "semi join"
    subquery_alias = ""  # after a subquery in FROM (PostgreSQL before 16 requires one)

    def quote(self, name: str) -> str:
        """``name`` as a quoted identifier."""
        return '"' + name.replace('"', '""') + '"'

    def relation(self, schema: str | None, name: str | None) -> str:
        """``schema.name`` quoted (the dialect's default schema when none is given)."""
        return f"{self.quote(schema or self.default_schema)}.{self.quote(name or '')}"

    def type_family(self, data_type: str) -> str:
        """``string``, ``boolean``, ``integer``, ``decimal``, ``float``, ``temporal`` or ``other``."""
        t = data_type.upper()
        if t.startswith(_STRING_TYPES):
            return "string"
        if t.startswith(_BOOLEAN_TYPES):
            return "boolean"
        if t.startswith(("DECIMAL", "NUMERIC")):
            return "decimal"
        if t.split("(")[0] in _INTEGER_TYPES:
            return "integer"
        if t.split("(")[0] in _FLOAT_TYPES:
            return "float"
        if t.startswith(_TEMPORAL_TYPES):
            return "temporal"
        return "other"

    def param(self, value: Any, family: str) -> tuple[str, Any]:
        """The placeholder for ``value`` compared with a column of ``family``, and the value to bind."""
        return "?", value

    def regex(self, qcol: str, regex: str, *, negate: bool) -> tuple[str, list[Any]]:
        """GX's condition that ``qcol`` matches ``regex`` somewhere (or does not), with its parameters."""
        return f"{qcol} {'!~' if negate else '~'} ?", [regex]

    def value(self, sql: str, data_type: str) -> str:
        """``sql`` (a column of ``data_type``) as selected for Python: what GX's driver returns."""
        return sql

    def ordered(self, sql: str, data_type: str) -> str:
        """``sql`` (a column of ``data_type``) as compared by ``<``, ``max``, ``min``: DuckDB's byte order."""
        return sql

    def semi_join_rows(self, select: str, relation: str, subquery: str, on: str, limit: int) -> str:
        """Up to ``limit`` rows ``t`` of ``relation`` having a row ``d`` of ``subquery`` with ``on``."""
        return (
            f"select {select} from {relation} as t {self.semi_join} ({subquery}) as d on {on} limit {limit}"
        )

    def column_sum(self, qcol: str, data_type: str) -> tuple[str, Reader | None]:
        """GX's ``column.sum``: the expression and how to read its value (None: as it comes)."""
        return f"sum({qcol})", None

    def column_mean(self, qcol: str) -> tuple[str, list[Any]]:
        """GX's ``column.mean``: the mean of the column's values as doubles, with its parameters."""
        return f"avg(? * {qcol})", [1.0]


_STRING_TYPES = ("VARCHAR", "CHAR", "TEXT", "STRING", "BPCHAR")
_BOOLEAN_TYPES = ("BOOLEAN", "BOOL")
_INTEGER_TYPES: tuple[str, ...] = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "INT",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_TEMPORAL_TYPES = ("DATE", "TIMESTAMP", "TIME")


class DuckDBDialect(Dialect):
    """DuckDB: the SQL the compiled engine has always written."""


# Spark's type names as ``describe table`` and ``spark.catalog`` print them (``DataType.simpleString``).
_SPARK_FAMILIES: Final[dict[str, str]] = {
    "string": "string",
    "boolean": "boolean",
    "tinyint": "integer",
    "smallint": "integer",
    "int": "integer",
    "integer": "integer",
    "bigint": "integer",
    "byte": "integer",
    "short": "integer",
    "long": "integer",
    "double": "float",
    "float": "float",
    "real": "float",
    "date": "temporal",
    "timestamp": "temporal",
    "timestamp_ltz": "temporal",
    "timestamp_ntz": "temporal",
}
_INT64 = (-(2**63), 2**63 - 1)


class SparkDialect(Dialect):
    """Spark SQL (see the module docstring for every difference and what is refused)."""

    name = "spark"
    folds = False
    semi_join = "left semi join"

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def type_family(self, data_type: str) -> str:
        t = data_type.strip().lower()
        if t.startswith("varchar("):
            return "string"  # a string with a length check on write; compared as a string
        if t.startswith(("decimal(", "numeric(")) or t in ("decimal", "numeric"):
            return "decimal"
        return _SPARK_FAMILIES.get(t, "other")  # char(n) pads, "string collate X" compares by X: other

    def param(self, value: Any, family: str) -> tuple[str, Any]:
        if isinstance(value, bool) or value is None:
            return "?", value
        if isinstance(value, int):
            if not _INT64[0] <= value <= _INT64[1]:
                raise Unsupported(f"integer {value} beyond 64 bits on Spark")
            return "?", value
        if isinstance(value, decimal.Decimal):
            if not value.is_finite() or len(value.as_tuple().digits) > 38:
                raise Unsupported(f"decimal {value} has no Spark literal")
            return "?", value
        if isinstance(value, dt.datetime):
            if value.tzinfo is not None:
                raise Unsupported("a timezone-aware datetime bound on Spark")
            return "cast(? as timestamp_ntz)", value.isoformat(sep=" ")
        if isinstance(value, str) and family == "temporal":
            raise Unsupported("a text bound against a date/time column on Spark")
        return "?", value  # float, str, date: the same literal as DuckDB's

    def regex(self, qcol: str, regex: str, *, negate: bool) -> tuple[str, list[Any]]:
        pattern = java_regex(regex)
        return (f"not ({qcol} rlike ?)" if negate else f"{qcol} rlike ?"), [pattern]

    def value(self, sql: str, data_type: str) -> str:
        if data_type.strip().lower() in ("timestamp", "timestamp_ltz"):
            return f"cast({sql} as timestamp_ntz)"
        return sql

    def column_sum(self, qcol: str, data_type: str) -> tuple[str, Reader | None]:
        if data_type.strip().lower() in ("bigint", "long"):
            return f"cast(sum(cast({qcol} as decimal(38,0))) as string)", _int_or_none
        return f"sum({qcol})", None


def _int_or_none(value: Any) -> Any:
    return None if value is None else int(value)


class PostgresDialect(Dialect):
    """PostgreSQL 15+ (psycopg2's client-side parameters; see the module docstring)."""

    name = "postgres"
    default_schema = "public"
    folds = False
    subquery_alias = " as c"

    def type_family(self, data_type: str) -> str:
        t = data_type.strip().lower()
        if t == "text" or t.startswith("character varying"):
            return "string"
        if t in ("integer", "bigint", "smallint"):
            return "integer"
        if t == "numeric" or t.startswith("numeric("):
            return "decimal"
        if t in ("double precision", "real"):
            return "float"
        if t == "boolean":
            return "boolean"
        if t == "date" or (t.startswith("timestamp") and t.endswith("without time zone")):
            return "temporal"
        return "other"  # character(n) pads; timestamptz reads back in the session's zone; json, uuid ...

    def param(self, value: Any, family: str) -> tuple[str, Any]:
        if isinstance(value, bool) or value is None:
            return "?", value
        if isinstance(value, float):
            return "cast(? as double precision)", value  # psycopg2 writes a float as a numeric literal
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            raise Unsupported(f"decimal {value} on PostgreSQL")
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            raise Unsupported("a timezone-aware datetime bound on PostgreSQL")
        if isinstance(value, str) and family == "temporal":
            raise Unsupported("a text bound against a date/time column on PostgreSQL")
        return "?", value  # int, Decimal, str, date, naive datetime: typed literals of the same value

    def regex(self, qcol: str, regex: str, *, negate: bool) -> tuple[str, list[Any]]:
        return f"{qcol} {'!~' if negate else '~'} ?", [_Re2Parser(regex, _ARE).parse()]

    def ordered(self, sql: str, data_type: str) -> str:
        return f'{sql} collate "C"' if self.type_family(data_type) == "string" else sql

    def semi_join_rows(self, select: str, relation: str, subquery: str, on: str, limit: int) -> str:
        exists = f"exists (select 1 from ({subquery}) as d where {on})"
        return f"select {select} from {relation} as t where {exists} limit {limit}"

    def column_sum(self, qcol: str, data_type: str) -> tuple[str, Reader | None]:
        if data_type.strip().lower() == "bigint":  # sum(bigint) is numeric: read it as text, an exact int
            return f"cast(sum({qcol}) as text)", _int_or_none
        return f"sum({qcol})", None

    def column_mean(self, qcol: str) -> tuple[str, list[Any]]:
        # avg(float8) also sums the squares (for variance): 1e300 overflows there and raises; the sum alone
        # is DuckDB's avg, a plain sum divided by the count
        x = f"cast(? as double precision) * {qcol}"
        return f"sum({x}) / nullif(count({qcol}), 0)", [1.0]


DUCKDB: Final[Dialect] = DuckDBDialect()
SPARK: Final[Dialect] = SparkDialect()
POSTGRES: Final[Dialect] = PostgresDialect()
_BY_NAME: Final[dict[str, Dialect]] = {d.name: d for d in (DUCKDB, SPARK, POSTGRES)}


def dialect_named(name: str) -> Dialect:
    """The dialect of a warehouse's ``dialect`` (``duckdb``, ``spark``); :class:`Unsupported` for others."""
    found = _BY_NAME.get(name)
    if found is None:
        raise Unsupported(f"the compiled engine writes no {name} SQL")
    return found


# --- RE2 -> java.util.regex ----------------------------------------------------------------------------------

_MAX_REPEAT = 1000  # RE2's limit on {n,m}
_CLASS_ESCAPES: Final[dict[str, tuple[bool, list[tuple[int, int]]]]] = {
    # RE2's Perl classes (ASCII), as (negated, ranges)
    "d": (False, [(0x30, 0x39)]),
    "D": (True, [(0x30, 0x39)]),
    "w": (False, [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]),
    "W": (True, [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]),
    "s": (False, [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]),
    "S": (True, [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]),
}
_CHAR_ESCAPES: Final[dict[str, int]] = {
    "a": 0x07,
    "f": 0x0C,
    "t": 0x09,
    "n": 0x0A,
    "r": 0x0D,
    "v": 0x0B,
}


class _Syntax:
    """How a regex engine writes what the RE2 subset holds: ``java.util.regex``'s (Spark's ``rlike``)."""

    engine = "Spark"
    begin, end = "\\A", "\\z"  # the text's start and end (RE2's ``^``/``$`` outside multi-line mode)
    max_repeat = _MAX_REPEAT

    def escape(self, code: int) -> str:
        return f"\\x{{{code:x}}}"

    def lit(self, code: int) -> str:
        """One character as a literal: ASCII letters and digits as themselves, anything else escaped (never a
        metacharacter, inside a class or out)."""
        ch = chr(code)
        return ch if ch.isascii() and ch.isalnum() else self.escape(code)

    def cls(self, negated: bool, ranges: list[tuple[int, int]]) -> str:
        body = "".join(self.lit(a) if a == b else f"{self.lit(a)}-{self.lit(b)}" for a, b in ranges)
        return f"[{'^' if negated else ''}{body}]"

    def dot(self, dotall: bool) -> str:
        """RE2's ``.``: any character but a line feed, or any at all after ``(?s)``."""
        return "(?s:.)" if dotall else self.cls(True, [(0x0A, 0x0A)])


class _AreSyntax(_Syntax):
    """PostgreSQL's advanced regular expressions (``~``), in their default mode: ``.`` and negated brackets
    match a line feed, ``\\A``/``\\Z`` are the string's ends, escapes work inside brackets, bounds stop at
    255."""

    engine = "PostgreSQL"
    begin, end = "\\A", "\\Z"
    max_repeat = 255

    def escape(self, code: int) -> str:
        return f"\\U{code:08x}"

    def dot(self, dotall: bool) -> str:
        return "." if dotall else self.cls(True, [(0x0A, 0x0A)])


_JAVA = _Syntax()
_ARE = _AreSyntax()


@dataclass
class _Node:
    """A parsed piece: its Java text, whether it can match more than once unboundedly, whether it is an
    anchor (nothing to repeat)."""

    java: str  # the target syntax's text (Java's, or another :class:`_Syntax`'s)
    unbounded: bool = False
    anchor: bool = False


class _Re2Parser:
    """A recursive-descent reader of the RE2 subset :func:`java_regex` accepts, writing ``syntax``'s text."""

    def __init__(self, pattern: str, syntax: _Syntax = _JAVA) -> None:
        self.p = pattern
        self.syntax = syntax
        self.i = 0
        self.dotall = False
        if pattern.startswith("(?s)"):
            self.dotall = True
            self.i = 4

    def fail(self, why: str) -> Unsupported:
        return Unsupported(f"regex {self.p!r} on {self.syntax.engine}: {why}")

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def parse(self) -> str:
        node = self.alternation()
        if self.i != len(self.p):
            raise self.fail(f"unexpected {self.p[self.i]!r}")
        return node.java

    def alternation(self) -> _Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        return _Node("|".join(b.java for b in branches), any(b.unbounded for b in branches))

    def sequence(self) -> _Node:
        parts: list[_Node] = []
        while self.peek() not in ("", "|", ")"):
            parts.append(self.repeat(self.atom()))
        return _Node("".join(p.java for p in parts), any(p.unbounded for p in parts))

    def repeat(self, atom: _Node) -> _Node:
        ch = self.peek()
        if ch in ("*", "+", "?"):
            self.i += 1
            quantifier, unbounded = ch, ch != "?"
        elif ch == "{":
            bounds = self.braces()
            if bounds is None:
                raise self.fail("a '{' that is not a repetition")
            quantifier, unbounded = bounds
        else:
            return atom
        if atom.anchor:
            raise self.fail("a repeated anchor")
        if unbounded and atom.unbounded:
            raise self.fail("a repeated group holding an unbounded repetition")
        if self.peek() == "?":  # lazy: the same matches exist
            self.i += 1
        if self.peek() in ("*", "+", "?", "{"):
            raise self.fail("a repetition of a repetition")
        return _Node(f"(?:{atom.java}){quantifier}", atom.unbounded or unbounded)

    def braces(self) -> tuple[str, bool] | None:
        end = self.p.find("}", self.i)
        if end < 0:
            return None
        inner = self.p[self.i + 1 : end]
        lo, comma, hi = inner.partition(",")
        if not lo.isdigit() or (hi and not hi.isdigit()) or not lo.isascii() or not hi.isascii():
            return None
        n, m = int(lo), (int(hi) if hi else None)
        if n > _MAX_REPEAT or (m is not None and (m > _MAX_REPEAT or m < n)):
            raise self.fail("a repetition RE2 refuses")
        if max(n, m or 0) > self.syntax.max_repeat:
            raise self.fail(f"a repetition above {self.syntax.max_repeat}")
        self.i = end + 1
        if not comma:
            return f"{{{n}}}", False
        return (f"{{{n},}}", True) if m is None else (f"{{{n},{m}}}", False)

    def atom(self) -> _Node:
        ch = self.peek()
        if ch == "(":
            return self.group()
        if ch == "[":
            return _Node(self.char_class())
        if ch == ".":
            self.i += 1
            return _Node(self.syntax.dot(self.dotall))
        if ch == "^":
            self.i += 1
            return _Node(self.syntax.begin, anchor=True)
        if ch == "$":
            self.i += 1
            return _Node(self.syntax.end, anchor=True)
        if ch == "\\":
            return self.escape()
        if ch in ("*", "+", "?", "{"):
            raise self.fail(f"nothing to repeat before {ch!r}")
        self.i += 1
        return _Node(self.syntax.lit(ord(ch)))

    def group(self) -> _Node:
        self.i += 1
        if self.p.startswith("?:", self.i):
            self.i += 2
        elif self.peek() == "?":
            raise self.fail("flags, named groups or look-around")
        inner = self.alternation()
        if self.peek() != ")":
            raise self.fail("an unclosed group")
        self.i += 1
        return _Node(f"(?:{inner.java})", inner.unbounded)

    def escape(self) -> _Node:
        nxt = self.p[self.i + 1 : self.i + 2]
        if nxt in ("A", "z"):
            self.i += 2
            return _Node(self.syntax.begin if nxt == "A" else self.syntax.end, anchor=True)
        if nxt in _CLASS_ESCAPES:
            self.i += 2
            return _Node(self.syntax.cls(*_CLASS_ESCAPES[nxt]))
        return _Node(self.syntax.lit(self.escaped_char()))

    def escaped_char(self) -> int:
        """The code point of an escape standing for one character (``\\n``, ``\\x41``, ``\\.`` ...)."""
        nxt = self.p[self.i + 1 : self.i + 2]
        if not nxt:
            raise self.fail("a trailing backslash")
        if nxt in _CHAR_ESCAPES:
            self.i += 2
            return _CHAR_ESCAPES[nxt]
        if nxt == "x":
            if self.p[self.i + 2 : self.i + 3] == "{":
                end = self.p.find("}", self.i + 3)
                digits = self.p[self.i + 3 : end] if end > 0 else ""
                after = end + 1
            else:
                digits, after = self.p[self.i + 2 : self.i + 4], self.i + 4
                if len(digits) != 2:
                    digits = ""
            if not digits or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise self.fail("a malformed \\x escape")
            if int(digits, 16) > 0x10FFFF or 0xD800 <= int(digits, 16) <= 0xDFFF:
                raise self.fail("a \\x escape of no character")  # RE2 refuses it
            self.i = after
            return int(digits, 16)
        if nxt.isascii() and not nxt.isalnum() and nxt.isprintable():
            self.i += 2
            return ord(nxt)  # an escaped punctuation character stands for itself
        raise self.fail(f"the escape \\{nxt}")

    def char_class(self) -> str:
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            ch = self.peek()
            if not ch:
                raise self.fail("an unclosed class")
            if ch == "]" and not first:
                self.i += 1
                break
            first = False
            if ch == "[" and self.p[self.i + 1 : self.i + 2] in (":", "=", "."):
                raise self.fail("a POSIX class")
            if ch == "\\" and self.p[self.i + 1 : self.i + 2] in _CLASS_ESCAPES:
                neg, inner = _CLASS_ESCAPES[self.p[self.i + 1]]
                if neg:
                    raise self.fail("a negated Perl class inside a class")
                ranges.extend(inner)
                self.i += 2
                if self.peek() == "-" and self.p[self.i + 1 : self.i + 2] not in ("]", ""):
                    raise self.fail("a range starting at a class")  # RE2 refuses it
                continue
            lo = self.class_char()
            if self.peek() == "-" and self.p[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                if self.peek() == "\\" and self.p[self.i + 1 : self.i + 2] in _CLASS_ESCAPES:
                    raise self.fail("a range ending in a class")
                hi = self.class_char()
                if hi < lo:
                    raise self.fail("a range out of order")
                ranges.append((lo, hi))
            else:
                ranges.append((lo, lo))
        return self.syntax.cls(negated, ranges)

    def class_char(self) -> int:
        ch = self.peek()
        if ch == "\\":
            return self.escaped_char()
        self.i += 1
        return ord(ch)


def java_regex(pattern: str) -> str:
    """A ``java.util.regex`` pattern that ``find``\\ s a match in exactly the strings where RE2 finds one of
    ``pattern`` (DuckDB's ``~``); :class:`Unsupported` outside the subset the module docstring lists."""
    return _Re2Parser(pattern).parse()

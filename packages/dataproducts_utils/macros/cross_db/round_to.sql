{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to', 'dataproducts_utils')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_to(expression, digits) -%}
    {#- PostgreSQL has round(numeric, n) but no round(double precision, n), and a double cast to numeric keeps
        15 significant digits: 99.985 (binary 99.98499999999999943...) would round to 99.99. DuckDB rounds
        the double's exact binary value, ties away from zero (99.98). So does this: |x| * 2^60 is an integer
        double (|x| from 2^-8 to 2^41), moved into numeric exactly in 26-bit parts; times 5^60 it is |x| *
        10^60, whose integer division by 10^(60 - digits) rounds half away from zero. -#}
    {%- set d = 10 ** (60 - digits) -%}
    (
        select sign(scaled.x) * (div(scaled.p, {{ d }}) + case when 2 * mod(scaled.p, {{ d }}) >= {{ d }} then 1 else 0 end)
            / {{ 10 ** digits }}.0
        from (
            select
                parts.x,
                (
                    cast(trunc(parts.v / {{ 2 ** 52 }}) as numeric) * {{ 2 ** 52 }}
                    + cast(trunc((parts.v - trunc(parts.v / {{ 2 ** 52 }}) * {{ 2 ** 52 }}) / {{ 2 ** 26 }}) as numeric)
                    * {{ 2 ** 26 }}
                    + cast(parts.v - trunc(parts.v / {{ 2 ** 26 }}) * {{ 2 ** 26 }} as numeric)
                ) * {{ 5 ** 60 }} as p
            from (
                select
                    cast({{ expression }} as double precision) as x,
                    abs(cast({{ expression }} as double precision)) * cast({{ 2 ** 60 }} as double precision) as v
            ) as parts
        ) as scaled
    )
{%- endmacro %}

{% macro spark__round_to(expression, digits) -%}
    {#- Spark's round(double, n) rounds the double's shortest decimal spelling (99.985 to 99.99), and a double
        cast to decimal goes through that spelling too. As on PostgreSQL, round the exact binary value, ties
        away from zero, as DuckDB does: |x| * 2^60 is an integer double (|x| from 2^-8 to 2^41), moved into
        decimal(38, 0) exactly in 26-bit parts; n = that * 10^digits; the result is n div 2^60, plus one when
        the remainder is at least half of 2^60. Spark has no scalar subquery without a table here, so the
        expression is repeated (Spark evaluates common subexpressions once). -#}
    {%- set x = "cast(" ~ expression ~ " as double)" -%}
    {%- set v = "(abs(" ~ x ~ ") * " ~ 2 ** 60 ~ "D)" -%}
    {%- set hi = "cast(floor(" ~ v ~ " / " ~ 2 ** 52 ~ "D) as double)" -%}
    {%- set rest = "(" ~ v ~ " - " ~ hi ~ " * " ~ 2 ** 52 ~ "D)" -%}
    {%- set mid = "cast(floor(" ~ rest ~ " / " ~ 2 ** 26 ~ "D) as double)" -%}
    {%- set lo = "(" ~ rest ~ " - " ~ mid ~ " * " ~ 2 ** 26 ~ "D)" -%}
    {%- set p -%}
        (cast({{ hi }} as decimal(38, 0)) * {{ 2 ** 52 }} + cast({{ mid }} as decimal(38, 0)) * {{ 2 ** 26 }}
        + cast({{ lo }} as decimal(38, 0)))
    {%- endset -%}
    {%- set n = "(" ~ p ~ " * " ~ 10 ** digits ~ ")" -%}
    {%- set q = "(" ~ n ~ " div " ~ 2 ** 60 ~ ")" -%}
    (
        sign({{ x }})
        * ({{ q }} + case when 2 * ({{ n }} - cast({{ q }} as decimal(38, 0)) * {{ 2 ** 60 }}) >= {{ 2 ** 60 }} then 1 else 0 end)
        / {{ 10 ** digits }}D
    )
{%- endmacro %}

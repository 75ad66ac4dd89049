{#- dbt's `cast` on Spark with the standard type names the projects' contracts use (`varchar`, `text`,
    `double precision`, `real`) spelled as Spark has them (`string`, `double`, `float`): dbt checks a
    contract by casting NULL to each declared type, and unit tests cast their fixtures the same way, so one
    YAML serves DuckDB, PostgreSQL and Spark. Opt-in through the `dbt` namespace's search order, like
    `duckdb__current_timestamp`. -#}
{% macro spark__cast(field, type) -%}
    {%- set name = type | string | trim | lower -%}
    {%- set base = name.split('(')[0] | trim -%}
    {%- if base in ('varchar', 'text', 'character varying', 'char', 'character') -%}
        {%- set type = 'string' -%}
    {%- elif name == 'double precision' -%}
        {%- set type = 'double' -%}
    {%- elif name == 'real' -%}
        {%- set type = 'float' -%}
    {%- endif -%}
    cast({{ field }} as {{ type }})
{%- endmacro %}

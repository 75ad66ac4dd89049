{% macro duckdb__current_timestamp() -%}
    {#- Overrides dbt-duckdb's `now()` so that freshness judges at the simulated as-of time. -#}
    {%- if var('as_of', none) -%}
        {{ dataproducts_utils.as_of_timestamp() }}
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}

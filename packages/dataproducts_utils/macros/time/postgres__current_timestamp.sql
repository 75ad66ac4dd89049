{% macro postgres__current_timestamp() -%}
    {#- Overrides dbt-postgres's `now()` so that freshness judges at the simulated as-of time. -#}
    {%- if var('as_of', none) -%}
        {{ dataproducts_utils.as_of_timestamp() }}
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}

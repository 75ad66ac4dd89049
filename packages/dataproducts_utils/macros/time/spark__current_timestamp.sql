{% macro spark__current_timestamp() -%}
    {#- Overrides dbt-spark's `current_timestamp()` so that freshness judges at the simulated as-of time. -#}
    {%- if var('as_of', none) -%}
        {{ dataproducts_utils.as_of_timestamp() }}
    {%- else -%}
        current_timestamp()
    {%- endif -%}
{%- endmacro %}

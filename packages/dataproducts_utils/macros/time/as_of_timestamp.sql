{% macro as_of_timestamp() -%}
    {{ return(adapter.dispatch('as_of_timestamp', 'dataproducts_utils')()) }}
{%- endmacro %}

{% macro default__as_of_timestamp() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of -%}
        {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', as_of | string) -%}
            {{ exceptions.raise_compiler_error("var 'as_of' must be a date YYYY-MM-DD, got: " ~ as_of) }}
        {%- endif -%}
        cast('{{ as_of }} 06:00:00' as timestamp)
    {%- else -%}
        cast(current_timestamp at time zone 'UTC' as timestamp)
    {%- endif -%}
{%- endmacro %}

{% macro spark__as_of_timestamp() -%}
    {#- Spark's timestamp is the session's time zone's (the spark target sets UTC); as on the others. -#}
    {%- if var('as_of', none) -%}
        {{ dataproducts_utils.default__as_of_timestamp() }}
    {%- else -%}
        cast(to_utc_timestamp(current_timestamp(), current_timezone()) as timestamp)
    {%- endif -%}
{%- endmacro %}

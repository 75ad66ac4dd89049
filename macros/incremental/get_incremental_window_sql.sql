{#- dbt finds a custom incremental strategy by name in the root project: this hands `window` to the
    dataproducts_utils package (docs/dbt-package.md). -#}
{% macro get_incremental_window_sql(arg_dict) -%}
    {{ return(dataproducts_utils.get_incremental_window_sql(arg_dict)) }}
{%- endmacro %}

{#- dbt finds a custom incremental strategy in the root project: hand `window` to the package. -#}
{% macro get_incremental_window_sql(arg_dict) -%}
    {{ return(dataproducts_utils.get_incremental_window_sql(arg_dict)) }}
{%- endmacro %}

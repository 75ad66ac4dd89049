{#- dbt-spark accepts only its own incremental strategies (append, merge, insert_overwrite, microbatch) and
    calls them through two macros that are not dispatched: the project overrides both (a root project's macro
    wins over the adapter's of the same name) to let `window` through to dataproducts_utils'
    spark__get_incremental_window_sql, and hands every other strategy to dbt-spark's own macros. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'window' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy == 'window' -%}
        {{ return(dataproducts_utils.get_incremental_window_sql({
            'target_relation': target,
            'temp_relation': source,
            'unique_key': unique_key,
            'dest_columns': adapter.get_columns_in_relation(target),
            'incremental_predicates': incremental_predicates,
        })) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
{%- endmacro %}

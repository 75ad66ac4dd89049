{#- The `window` strategy on Spark with Parquet tables, which take no DELETE: the table is rewritten as its rows
    before the window plus the new rows of the window, the same result as DuckDB's and PostgreSQL's delete +
    insert (a row without event_time stays; rows gone from the source within the window go). Spark cannot
    overwrite a table it reads in the same statement, so the rows are put in a staging table
    `<model>__dp_window` first (dropped again by the statement this returns; a failed run's leftover is
    dropped by the next). The cost is a rewrite of the whole table: for large tables partition them and use
    `insert_overwrite`, or use a table format with DELETE (Delta, Iceberg). -#}
{% macro spark__get_incremental_window_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set column = config.get('event_time') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "the window incremental strategy needs config event_time on model " ~ model.name
        ) }}
    {%- endif -%}
    {%- set start = dataproducts_utils.window_start() -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set staging = target.incorporate(path={"identifier": target.identifier ~ "__dp_window"}) -%}
    {%- do run_query("drop table if exists " ~ staging) -%}
    {%- do run_query(
        "create table " ~ staging ~ " using parquet as "
        ~ "select " ~ columns ~ " from " ~ target ~ " where not coalesce(" ~ column ~ " >= " ~ start ~ ", false) "
        ~ "union all "
        ~ "select " ~ columns ~ " from " ~ temp ~ " where " ~ column ~ " >= " ~ start
    ) -%}
    {%- do run_query("insert overwrite table " ~ target ~ " (" ~ columns ~ ") select " ~ columns ~ " from " ~ staging) -%}
    drop table if exists {{ staging }}
{%- endmacro %}

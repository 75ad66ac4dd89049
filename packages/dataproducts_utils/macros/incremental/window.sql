{#- The `window` incremental strategy: each incremental build replaces the last `lookback` days of the
    model's `event_time` (late-arriving rows and changed rows included), a full refresh rebuilds it all.
    The model filters its own input with `where <event_time> >= {{ dataproducts_utils.window_start() }}`
    inside `{% if is_incremental() %}`; the strategy deletes the same window from the table and inserts the
    new rows, so rows that disappeared from the source within the window disappear from the table too. -#}

{% macro window_start(event_time=none, lookback_days=none) -%}
    {{ return(adapter.dispatch('window_start', 'dataproducts_utils')(event_time, lookback_days)) }}
{%- endmacro %}

{% macro default__window_start(event_time, lookback_days) -%}
    {%- set column = event_time or config.get('event_time') -%}
    {%- set days = lookback_days if lookback_days is not none else config.get('lookback') -%}
    {%- if not column -%}
        {{ exceptions.raise_compiler_error(
            "dataproducts_utils.window_start: model " ~ model.name ~ " sets no event_time (config event_time)"
        ) }}
    {%- endif -%}
    {%- set earliest = "cast('1900-01-01' as date)" -%}
    {%- if not execute -%}
        {{ return(earliest) }}
    {%- endif -%}
    {%- set latest_sql -%}
        select cast(max({{ column }}) as date) as latest from {{ this }}
    {%- endset -%}
    {%- set latest = run_query(latest_sql).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return(earliest) }}
    {%- endif -%}
    {%- if latest is string -%}
        {%- set latest = modules.datetime.date.fromisoformat(latest[:10]) -%}
    {%- endif -%}
    {%- set start = latest - modules.datetime.timedelta(days=days | int) -%}
    {{ return("cast('" ~ start.strftime('%Y-%m-%d') ~ "' as date)") }}
{%- endmacro %}

{% macro get_incremental_window_sql(arg_dict) -%}
    {{ return(adapter.dispatch('get_incremental_window_sql', 'dataproducts_utils')(arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_window_sql(arg_dict) -%}
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
    delete from {{ target }} where {{ column }} >= {{ start }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }} where {{ column }} >= {{ start }}
{%- endmacro %}

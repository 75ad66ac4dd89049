-- The window incremental strategy: a rebuild replaces the last `lookback` day(s) of event_date.
{{ config(materialized='incremental', incremental_strategy='window', event_time='event_date', lookback=1) }}

{%- set window_start = dataproducts_utils.window_start() if is_incremental() else none %}

with

events as (

    select * from {{ ref('events') }}
    {% if window_start %}
        where cast(occurred_at as date) >= {{ window_start }}
    {% endif %}

)

select
    cast(occurred_at as date) as event_date,
    count(*) as event_count,
    sum(amount) as amount
from events
group by cast(occurred_at as date)

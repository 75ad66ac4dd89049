-- No rows: recency fails on an empty model.
with

events as (

    select * from {{ ref('events') }}

),

no_events as (

    select *
    from events
    where 1 = 0

)

select * from no_events

{% test recency(model, field, datepart, interval) %}
{#- Fails (one row) when the newest `field` is older than `interval` `datepart`s before the as-of time. -#}
with

newest as (

    select max(cast({{ field }} as timestamp)) as newest_at
    from {{ model }}

),

final as (

    select
        newest_at,
        {{ dataproducts.as_of_timestamp() }} as judged_at
    from newest
    where
        newest_at is null
        or newest_at < {{ dbt.dateadd(datepart, -1 * interval, dataproducts.as_of_timestamp()) }}

)

select * from final
{% endtest %}

{% test recency(model, field, datepart, interval) %}
    {{ return(adapter.dispatch('test_recency', 'dataproducts_utils')(model, field, datepart, interval)) }}
{% endtest %}

{% macro default__test_recency(model, field, datepart, interval) %}
{#- Fails (one row) when the newest `field` is older than `interval` `datepart`s before the as-of time. -#}
with

newest as (

    select max(cast({{ field }} as timestamp)) as newest_at
    from {{ model }}

),

final as (

    select
        newest_at,
        {{ dataproducts_utils.as_of_timestamp() }} as judged_at
    from newest
    where
        newest_at is null
        or newest_at < {{ dbt.dateadd(datepart, -1 * interval, dataproducts_utils.as_of_timestamp()) }}

)

select * from final
{% endmacro %}

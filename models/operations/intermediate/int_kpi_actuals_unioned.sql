with

service_health as (

    select * from {{ ref('service_health_daily') }}

),

orders as (

    select * from {{ ref('orders') }}

),

service_measures_unpivoted as (

    select
        service,
        activity_date,
        'availability' as measure_name,
        availability as actual_value
    from service_health

    union all

    select
        service,
        activity_date,
        'error_rate' as measure_name,
        error_rate as actual_value
    from service_health

    union all

    select
        service,
        activity_date,
        'p50_latency_ms' as measure_name,
        p50_latency_ms as actual_value
    from service_health

    union all

    select
        service,
        activity_date,
        'p95_latency_ms' as measure_name,
        p95_latency_ms as actual_value
    from service_health

),

orders_aggregated_to_days as (

    select
        order_date as activity_date,
        count(*) as order_count,
        sum(failed_payment_count) as failed_payment_count,
        sum(case when is_paid then 1 else 0 end) as succeeded_payment_count
    from orders
    group by order_date

),

business_measures_unpivoted as (

    select
        cast(null as {{ dbt.type_string() }}) as service,
        activity_date,
        'daily_orders' as measure_name,
        cast(order_count as {{ dataproducts_utils.type_double() }}) as actual_value
    from orders_aggregated_to_days

    union all

    select
        cast(null as {{ dbt.type_string() }}) as service,
        activity_date,
        'payment_failure_rate' as measure_name,
        {{ dataproducts_utils.safe_divide('failed_payment_count', 'failed_payment_count + succeeded_payment_count') }}
            as actual_value
    from orders_aggregated_to_days

),

final as (

    select
        service,
        activity_date,
        measure_name,
        actual_value
    from service_measures_unpivoted

    union all

    select
        service,
        activity_date,
        measure_name,
        actual_value
    from business_measures_unpivoted

)

select * from final

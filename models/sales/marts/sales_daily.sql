{#- Incremental (window strategy): an incremental build recomputes the last `lookback` days of order_date
    from the orders of those days and the 7 days before them; a full refresh computes every day. -#}
{%- set window_start = dataproducts_utils.window_start() if is_incremental() else none -%}

with

orders as (

    select * from {{ ref('orders') }}
    {% if window_start %}
        where order_date >= {{ dbt.dateadd('day', -7, window_start) }}
    {% endif %}

),

orders_aggregated_to_days as (

    select
        order_date,
        count(*) as order_count,
        sum(case when is_paid then 1 else 0 end) as paid_order_count,
        count(distinct customer_id) as customer_count,
        sum(item_count) as item_count,
        sum(gross_amount_eur) as gross_revenue_eur,
        sum(discount_amount_eur) as discount_amount_eur,
        sum(case when is_paid then net_amount_eur else 0 end) as net_revenue_eur,
        sum(refunded_amount_eur) as refunded_amount_eur
    from orders
    group by order_date

),

first_order_day as (

    select min(order_date) as first_order_date
    from {{ ref('orders') }}

),

prior_7_days_summed as (

    -- a self-join over calendar days, so a day without orders counts as zero
    select
        days.order_date,
        sum(prior_days.order_count) as prior_7d_order_count
    from orders_aggregated_to_days as days
    left join orders_aggregated_to_days as prior_days
        on
            days.order_date > prior_days.order_date
            and {{ dbt.dateadd('day', -7, 'days.order_date') }} <= prior_days.order_date
    group by days.order_date

),

days_compared_to_prior_7d as (

    select
        days.order_date,
        days.order_count,
        days.paid_order_count,
        days.customer_count,
        days.item_count,
        days.gross_revenue_eur,
        days.discount_amount_eur,
        days.net_revenue_eur,
        days.refunded_amount_eur,
        case
            when
                {{ dbt.datediff('first_order_day.first_order_date', 'days.order_date', 'day') }}
                >= 7
                -- a double division on every engine (7.0 is a DECIMAL literal: Spark would divide in 6 decimals)
                then coalesce(prior_7_days_summed.prior_7d_order_count, 0)
                    / cast(7 as {{ dataproducts_utils.type_double() }})
        end as prior_7d_avg_order_count
    from orders_aggregated_to_days as days
    cross join first_order_day
    left join prior_7_days_summed
        on days.order_date = prior_7_days_summed.order_date

),

final as (

    select
        order_date,
        cast(order_count as integer) as order_count,
        cast(paid_order_count as integer) as paid_order_count,
        cast(customer_count as integer) as customer_count,
        cast(item_count as integer) as item_count,
        cast(gross_revenue_eur as decimal(14, 2)) as gross_revenue_eur,
        cast(discount_amount_eur as decimal(14, 2)) as discount_amount_eur,
        cast(net_revenue_eur as decimal(14, 2)) as net_revenue_eur,
        cast(refunded_amount_eur as decimal(14, 2)) as refunded_amount_eur,
        cast(
            {{ dataproducts_utils.round_to(dataproducts_utils.safe_divide('net_revenue_eur', 'paid_order_count'), 2) }}
            as decimal(12, 2)
        ) as avg_order_value_eur,
        cast(prior_7d_avg_order_count as {{ dataproducts_utils.type_double() }}) as prior_7d_avg_order_count,
        {{ dataproducts_utils.safe_divide('order_count', 'prior_7d_avg_order_count') }} as order_count_vs_prior_7d
    from days_compared_to_prior_7d
    {% if window_start %}
        where order_date >= {{ window_start }}
    {% endif %}

)

select * from final

with

orders as (

    select * from {{ ref('orders') }}

),

customers as (

    select * from {{ ref('customers') }}

),

data_end as (

    -- the last day with orders: days are counted from here, so a rebuild is reproducible
    select max(order_date) as reference_date
    from orders

),

orders_aggregated_to_customers as (

    select
        customer_id,
        count(*) as order_count,
        sum(case when is_paid then 1 else 0 end) as paid_order_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(paid_amount_eur - refunded_amount_eur) as total_net_revenue_eur
    from orders
    where customer_id is not null
    group by customer_id

),

customers_joined as (

    select
        orders_aggregated_to_customers.customer_id,
        customers.country_code,
        customers.signup_date,
        customers.is_active,
        orders_aggregated_to_customers.order_count,
        orders_aggregated_to_customers.paid_order_count,
        orders_aggregated_to_customers.first_order_date,
        orders_aggregated_to_customers.last_order_date,
        orders_aggregated_to_customers.total_net_revenue_eur,
        {{ dbt.datediff('orders_aggregated_to_customers.last_order_date', 'data_end.reference_date', 'day') }}
            as days_since_last_order,
        {{ dbt.datediff('orders_aggregated_to_customers.first_order_date', 'data_end.reference_date', 'day') }}
        + 1 as days_since_first_order
    from orders_aggregated_to_customers
    cross join data_end
    left join customers
        on orders_aggregated_to_customers.customer_id = customers.customer_id

),

values_predicted as (

    select
        *,
        -- the customer's net revenue per day since the first order (at least 30 days), over a year; a double
        -- on every engine (DuckDB divides a decimal as one), rounded below as DuckDB rounds it
        cast(total_net_revenue_eur as {{ dataproducts_utils.type_double() }})
        / (case when days_since_first_order < 30 then 30 else days_since_first_order end)
        * 365 as predicted_annual_value_eur
    from customers_joined

),

customers_ranked as (

    select
        *,
        percent_rank() over (order by predicted_annual_value_eur) as value_percent_rank
    from values_predicted

),

final as (

    select
        customer_id,
        country_code,
        signup_date,
        is_active,
        cast(order_count as integer) as order_count,
        cast(paid_order_count as integer) as paid_order_count,
        first_order_date,
        last_order_date,
        cast(days_since_last_order as integer) as days_since_last_order,
        cast(total_net_revenue_eur as decimal(14, 2)) as total_net_revenue_eur,
        cast(
            {{ dataproducts_utils.round_to(
                dataproducts_utils.safe_divide('total_net_revenue_eur', 'paid_order_count'), 2
            ) }}
            as decimal(12, 2)
        ) as avg_order_value_eur,
        cast({{ dataproducts_utils.round_to('predicted_annual_value_eur', 2) }} as decimal(14, 2))
            as predicted_annual_value_eur,
        case
            when predicted_annual_value_eur <= 0 then 'none'
            when value_percent_rank >= 0.8 then 'high'
            when value_percent_rank >= 0.5 then 'medium'
            else 'low'
        end as clv_segment
    from customers_ranked

)

select * from final

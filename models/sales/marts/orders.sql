{#- Incremental (window strategy): an incremental build recomputes the orders of the last `lookback` days of
    order_date, with all their items and payments; a full refresh computes every order. -#}
{%- set window_start = dataproducts_utils.window_start() if is_incremental() else none -%}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    {% if window_start %}
        where order_date >= {{ window_start }}
    {% endif %}

),

order_items as (

    select * from {{ ref('order_items') }}
    {% if window_start %}
        where order_date >= {{ window_start }}
    {% endif %}

),

payments as (

    select * from {{ ref('int_payments_pivoted_to_orders') }}
    {% if window_start %}
        where order_id in (select order_id from orders)
    {% endif %}

),

exchange_rates as (

    select * from {{ ref('stg_shop__exchange_rates') }}

),

order_items_summed_to_orders as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(gross_amount) as gross_amount,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_amount
    from order_items
    group by order_id

),

orders_joined as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.status,
        orders.currency_code,
        orders.shipping_country_code,
        order_items_summed_to_orders.line_count,
        order_items_summed_to_orders.item_count,
        order_items_summed_to_orders.gross_amount,
        order_items_summed_to_orders.discount_amount,
        order_items_summed_to_orders.net_amount,
        exchange_rates.rate_to_eur,
        payments.payment_attempt_count,
        payments.failed_payment_count,
        payments.paid_amount,
        payments.refunded_amount,
        payments.paid_at,
        payments.is_paid,
        payments.is_refunded
    from orders
    left join order_items_summed_to_orders
        on orders.order_id = order_items_summed_to_orders.order_id
    left join payments
        on orders.order_id = payments.order_id
    left join exchange_rates
        on orders.currency_code = exchange_rates.currency_code

),

amounts_converted_to_eur as (

    select
        order_id,
        customer_id,
        ordered_at,
        order_date,
        status,
        currency_code,
        shipping_country_code,
        cast(coalesce(line_count, 0) as integer) as line_count,
        cast(coalesce(item_count, 0) as integer) as item_count,
        cast(coalesce(gross_amount, 0) as decimal(12, 2)) as gross_amount,
        cast(coalesce(discount_amount, 0) as decimal(12, 2)) as discount_amount,
        cast(coalesce(net_amount, 0) as decimal(12, 2)) as net_amount,
        rate_to_eur,
        {{ dataproducts.to_eur('coalesce(gross_amount, 0)') }} as gross_amount_eur,
        {{ dataproducts.to_eur('coalesce(discount_amount, 0)') }} as discount_amount_eur,
        {{ dataproducts.to_eur('coalesce(net_amount, 0)') }} as net_amount_eur,
        cast(coalesce(payment_attempt_count, 0) as integer) as payment_attempt_count,
        cast(coalesce(failed_payment_count, 0) as integer) as failed_payment_count,
        cast(coalesce(paid_amount, 0) as decimal(12, 2)) as paid_amount,
        cast(coalesce(refunded_amount, 0) as decimal(12, 2)) as refunded_amount,
        {{ dataproducts.to_eur('coalesce(paid_amount, 0)') }} as paid_amount_eur,
        {{ dataproducts.to_eur('coalesce(refunded_amount, 0)') }} as refunded_amount_eur,
        coalesce(is_paid, false) as is_paid,
        coalesce(is_refunded, false) as is_refunded,
        paid_at
    from orders_joined

),

final as (

    select * from amounts_converted_to_eur

)

select * from final

{#- Incremental (window strategy): an incremental build recomputes the lines of the orders of the last
    `lookback` days of order_date; a full refresh computes every line. -#}
{%- set window_start = dataproducts_utils.window_start() if is_incremental() else none -%}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}
    {% if window_start %}
        where order_date >= {{ window_start }}
    {% endif %}

),

order_items as (

    select * from {{ ref('stg_shop__order_items') }}
    {% if window_start %}
        where order_id in (select order_id from orders)
    {% endif %}

),

exchange_rates as (

    select * from {{ ref('stg_shop__exchange_rates') }}

),

order_items_joined_to_orders as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.currency_code,
        order_items.quantity,
        order_items.unit_price,
        order_items.discount_amount,
        exchange_rates.rate_to_eur
    from order_items
    left join orders
        on order_items.order_id = orders.order_id
    left join exchange_rates
        on orders.currency_code = exchange_rates.currency_code

),

line_amounts_computed as (

    select
        order_item_id,
        order_id,
        product_id,
        customer_id,
        ordered_at,
        order_date,
        currency_code,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(12, 2)) as gross_amount,
        cast(discount_amount as decimal(12, 2)) as discount_amount,
        cast(quantity * unit_price - discount_amount as decimal(12, 2)) as net_amount,
        rate_to_eur
    from order_items_joined_to_orders

),

net_amounts_converted_to_eur as (

    select
        line_amounts_computed.*,
        {{ dataproducts.to_eur('net_amount') }} as net_amount_eur
    from line_amounts_computed

),

final as (

    select * from net_amounts_converted_to_eur

)

select * from final

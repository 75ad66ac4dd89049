with

order_items as (

    select * from {{ ref('int_order_items_priced') }}

),

final as (

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
        gross_amount,
        discount_amount,
        net_amount,
        rate_to_eur,
        net_amount_eur
    from order_items

)

select * from final

with

products as (

    select * from {{ ref('stg_shop__products') }}

),

final as (

    select
        product_id,
        sku,
        product_name,
        category,
        list_price_eur,
        is_active,
        created_at
    from products

)

select * from final

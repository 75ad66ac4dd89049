with

source as (

    select * from {{ source('shop', 'order_items') }}

),

renamed as (

    select
        -- ids
        order_item_id,
        order_id,
        product_id,

        -- numerics
        quantity,
        unit_price,
        coalesce(discount_amount, 0) as discount_amount,

        -- timestamps
        _loaded_at as loaded_at

    from source

)

select * from renamed

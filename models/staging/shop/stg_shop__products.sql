with

source as (

    select * from {{ source('shop', 'products') }}

),

renamed as (

    select
        -- ids
        product_id,

        -- strings
        upper(trim(sku)) as sku,
        trim(product_name) as product_name,
        lower(trim(category)) as category,

        -- numerics
        list_price as list_price_eur,

        -- booleans
        is_active,

        -- timestamps
        created_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed

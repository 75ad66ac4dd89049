with

source as (

    select * from {{ source('shop', 'orders') }}

),

renamed as (

    select
        -- ids
        order_id,
        customer_id,

        -- strings
        lower(trim(status)) as status,
        upper(trim(currency_code)) as currency_code,
        upper(trim(shipping_country_code)) as shipping_country_code,

        -- timestamps
        ordered_at,
        cast(ordered_at as date) as order_date,
        _loaded_at as loaded_at

    from source

)

select * from renamed

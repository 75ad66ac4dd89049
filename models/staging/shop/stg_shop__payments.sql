with

source as (

    select * from {{ source('shop', 'payments') }}

),

renamed as (

    select
        -- ids
        payment_id,
        order_id,

        -- strings
        lower(trim(payment_method)) as payment_method,
        lower(trim(status)) as payment_status,
        upper(trim(currency_code)) as currency_code,

        -- numerics
        amount,

        -- timestamps
        paid_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed

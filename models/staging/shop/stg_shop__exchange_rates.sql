with

source as (

    select * from {{ source('shop', 'exchange_rates') }}

),

renamed as (

    select
        -- ids
        upper(trim(currency_code)) as currency_code,

        -- numerics
        rate_to_eur,

        -- dates
        valid_from,

        -- timestamps
        _loaded_at as loaded_at

    from source

)

select * from renamed

with

source as (

    select * from {{ source('crm', 'customers') }}

),

renamed as (

    select
        -- ids
        customer_id,

        -- strings
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone,
        trim(street) as street,
        trim(city) as city,
        trim(postal_code) as postal_code,
        upper(trim(country_code)) as country_code,
        lower(trim(status)) as customer_status,

        -- dates: passed through untouched, so that a retyped source column reaches the
        -- customers contract (which names it) instead of failing on a cast here
        signup_date,

        -- timestamps
        updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed

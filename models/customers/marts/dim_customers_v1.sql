with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

final as (

    select
        customer_id,
        {{ dbt.concat(['first_name', "' '", 'last_name']) }} as full_name,
        email,
        phone,
        city,
        country_code,
        signup_date,
        customer_status as status,
        updated_at
    from customers

)

select * from final

with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

final as (

    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        street,
        city,
        postal_code,
        country_code,
        signup_date,
        customer_status,
        coalesce(customer_status = 'active', false) as is_active,
        updated_at
    from customers

)

select * from final

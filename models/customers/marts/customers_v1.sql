-- The deprecated version 1 (the relation `customers.dim_customers_v1`): the latest version in v1's shape,
-- one `full_name` for `first_name`/`last_name` and the CRM status as `status`.
with

customers as (

    select * from {{ ref('customers', v=3) }}

),

final as (

    -- in the order v1's table had: its contract's columns, v2's first, then full_name and status
    select
        customer_id,
        email,
        phone,
        city,
        country_code,
        signup_date,
        updated_at,
        {{ dbt.concat(['first_name', "' '", 'last_name']) }} as full_name,
        customer_status as status
    from customers

)

select * from final

with

customers as (

    select * from {{ ref('customers') }}

),

orders as (

    select * from {{ ref('orders') }}

),

customers_assigned_to_cohorts as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'signup_date') }} as date) as cohort_month
    from customers

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_size
    from customers_assigned_to_cohorts
    group by cohort_month

),

order_months as (

    select distinct cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month
    from orders

),

customer_activity_months as (

    select distinct
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month
    from orders
    where customer_id is not null

),

active_customers_counted as (

    select
        customers_assigned_to_cohorts.cohort_month,
        customer_activity_months.activity_month,
        count(*) as active_customers
    from customer_activity_months
    inner join customers_assigned_to_cohorts
        on customer_activity_months.customer_id = customers_assigned_to_cohorts.customer_id
    where customer_activity_months.activity_month >= customers_assigned_to_cohorts.cohort_month
    group by
        customers_assigned_to_cohorts.cohort_month,
        customer_activity_months.activity_month

),

cohort_months_spined as (

    -- every month with orders from the cohort's signup month on, so a month without activity is 0
    select
        cohort_sizes.cohort_month,
        order_months.activity_month,
        cohort_sizes.cohort_size
    from cohort_sizes
    inner join order_months
        on cohort_sizes.cohort_month <= order_months.activity_month

),

final as (

    select
        cohort_months_spined.cohort_month,
        cast(
            {{ dbt.datediff('cohort_months_spined.cohort_month', 'cohort_months_spined.activity_month', 'month') }}
            as integer
        ) as months_since_signup,
        cohort_months_spined.activity_month,
        cast(cohort_months_spined.cohort_size as integer) as cohort_size,
        cast(coalesce(active_customers_counted.active_customers, 0) as integer) as active_customers,
        {{ dataproducts_utils.safe_divide(
            'coalesce(active_customers_counted.active_customers, 0)', 'cohort_months_spined.cohort_size'
        ) }} as retention_rate
    from cohort_months_spined
    left join active_customers_counted
        on
            cohort_months_spined.cohort_month = active_customers_counted.cohort_month
            and cohort_months_spined.activity_month = active_customers_counted.activity_month

)

select * from final

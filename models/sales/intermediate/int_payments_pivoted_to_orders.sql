with

payments as (

    select * from {{ ref('stg_shop__payments') }}

),

payments_pivoted_to_orders as (

    select
        order_id,
        count(*) as payment_attempt_count,
        sum(case when payment_status = 'failed' then 1 else 0 end) as failed_payment_count,
        sum(case when payment_status = 'succeeded' then amount else 0 end) as paid_amount,
        sum(case when payment_status = 'refunded' then amount else 0 end) as refunded_amount,
        min(case when payment_status = 'succeeded' then paid_at end) as paid_at,
        max(case when payment_status = 'refunded' then paid_at end) as refunded_at
    from payments
    group by order_id

),

final as (

    select
        order_id,
        cast(payment_attempt_count as integer) as payment_attempt_count,
        cast(failed_payment_count as integer) as failed_payment_count,
        cast(paid_amount as decimal(12, 2)) as paid_amount,
        cast(refunded_amount as decimal(12, 2)) as refunded_amount,
        paid_at,
        refunded_at,
        paid_amount > 0 as is_paid,
        refunded_amount > 0 as is_refunded
    from payments_pivoted_to_orders

)

select * from final

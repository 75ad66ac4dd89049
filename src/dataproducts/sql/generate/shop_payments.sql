create table raw_shop.payments as
with totals as (
    select order_id, sum(quantity * unit_price - discount_amount) as net_amount
    from raw_shop.order_items group by order_id
),

attempts as (
    select
        o.order_id, o.ordered_at, o.status, o.currency_code, t.net_amount,
        rnd(o.order_id, 'pay') as u,
        pick(
            ['card', 'card', 'card', 'paypal', 'paypal', 'bank_transfer', 'gift_card'],
            rnd(o.order_id, 'method')
        ) as payment_method
    from raw_shop.orders as o inner join totals as t on o.order_id = t.order_id
),

rows as (
    -- a failed attempt first for 8% of orders, and the only attempt of cancelled ones
    select
        order_id, 1 as seq, 'failed' as status, payment_method, net_amount, currency_code,
        ordered_at + to_seconds(30) as paid_at
    from attempts where u < 0.08 or status = 'cancelled'
    union all
    select
        order_id, 2 as seq, 'succeeded' as status, payment_method, net_amount, currency_code,
        ordered_at + to_seconds(120) as paid_at
    from attempts where status <> 'cancelled'
    union all
    select
        order_id, 3 as seq, 'refunded' as status, payment_method, net_amount, currency_code,
        ordered_at + to_seconds(86400 * 5) as paid_at
    from attempts where status = 'returned'
)

select
    cast((order_id - 1) * 3 + seq as integer) as payment_id,
    order_id,
    payment_method,
    status,
    cast(net_amount as decimal(12, 2)) as amount,
    currency_code,
    paid_at,
    loaded_at(order_id * 4 + seq, $as_of) as _loaded_at
from rows

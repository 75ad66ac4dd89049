-- raw_shop.payments: a failed attempt first for 8% of orders and the only attempt of cancelled ones, a
-- succeeded one for every other order (both land the day after the order), and for returned orders a refund
-- paid the day before the order becomes 'returned' and landing with that change (a late-arriving payment).
-- The window's orders and lines are read back from the landing tables, which now hold exactly the state's.
create or replace temp macro payments_in_window() as table
    with totals as (
        select order_id, sum(quantity * unit_price - discount_amount) as net_amount
        from raw_shop.order_items
        where order_id between run('order_lo') and run('order_hi')
        group by order_id
    ),

    attempts as (
        select
            o.order_id, o.ordered_at, o.currency_code, t.net_amount,
            cast(o.ordered_at as date) as order_date,
            run('state_as_of') - cast(o.ordered_at as date) as age,
            order_fate(o.order_id) as fate,
            order_t_return(o.order_id) as t_return,
            rnd(o.order_id, 'pay') as u,
            pick(
                ['card', 'card', 'card', 'paypal', 'paypal', 'bank_transfer', 'gift_card'],
                rnd(o.order_id, 'method')
            ) as payment_method
        from raw_shop.orders as o inner join totals as t on o.order_id = t.order_id
        where o.order_id between run('order_lo') and run('order_hi')
    ),

    rows as (
        select
            order_id, 1 as seq, 'failed' as status, payment_method, net_amount, currency_code,
            ordered_at + to_seconds(30) as paid_at, order_date + 1 as load_date
        from attempts where u < 0.08 or fate = 'cancelled'
        union all
        select
            order_id, 2 as seq, 'succeeded' as status, payment_method, net_amount, currency_code,
            ordered_at + to_seconds(120) as paid_at, order_date + 1 as load_date
        from attempts where fate <> 'cancelled'
        union all
        select
            order_id, 3 as seq, 'refunded' as status, payment_method, net_amount, currency_code,
            ordered_at + to_days(t_return - 1) as paid_at, order_date + t_return as load_date
        from attempts where fate = 'returned' and age >= t_return
    )

    select
        cast((order_id - 1) * 3 + seq as integer) as payment_id,
        order_id,
        payment_method,
        status,
        cast(net_amount as decimal(12, 2)) as amount,
        currency_code,
        paid_at,
        order_id * 4 + seq as load_key,
        landed_on(load_date) as landed_on
    from rows;

delete from raw_shop.payments as p
where
    $reset
    and p.order_id >= $order_lo and p.order_id < $duplicate_offset
    and not exists (select s.payment_id from payments_in_window() as s where s.payment_id = p.payment_id);

update raw_shop.payments as p
set _loaded_at = loaded_at(s.load_key, s.landed_on)
from payments_in_window() as s
where $reset and p.payment_id = s.payment_id and p._loaded_at <> loaded_at(s.load_key, s.landed_on);

insert into raw_shop.payments
select
    s.payment_id, s.order_id, s.payment_method, s.status, s.amount, s.currency_code, s.paid_at,
    loaded_at(s.load_key, s.landed_on) as _loaded_at
from payments_in_window() as s
where not exists (
        select p.payment_id from raw_shop.payments as p
        where p.order_id >= $order_lo and p.payment_id = s.payment_id
    );

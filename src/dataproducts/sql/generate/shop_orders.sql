-- raw_shop.orders. Order i falls on day origin + (i - 1) * order_days // n_orders, so every day has the same
-- volume (+-1) at any scale, for as long as the landing area grows; the customer is one who had signed up by
-- then. Each order's fate and status timeline is fixed by its id (the macros below): 'placed' until it ships
-- on age t_ship (2-3 days), or is 'cancelled' then; 'shipped' until t_deliver (t_ship + 2-5 days), then
-- 'delivered'; returned orders become 'returned' on t_return (t_deliver + 3-7 days, at most 15). The row
-- lands the day after the order and again (its `_loaded_at` moves) on each status change.
create or replace temp macro order_fate(o) as
case when rnd(o, 'st') < 0.05 then 'cancelled' when rnd(o, 'st') < 0.13 then 'returned' else 'delivered' end;
create or replace temp macro order_t_ship(o) as 2 + floor(rnd(o, 'ship') * 2)::int;
create or replace temp macro order_t_deliver(o) as order_t_ship(o) + 2 + floor(rnd(o, 'deliver') * 4)::int;
create or replace temp macro order_t_return(o) as order_t_deliver(o) + 3 + floor(rnd(o, 'return') * 5)::int;

-- The orders of the window as of the state day.
create or replace temp macro orders_in_window() as table
    with base as (
        select
            cast(i as integer) as order_id,
            run('origin') + cast((i - 1) * run('order_days') // run('n_orders') as integer) as order_date,
            -- where the order falls within its day, in [0, 1): strictly increasing with the order id
            ((i - 1) * run('order_days') % run('n_orders')) / run('n_orders') as day_position
        from range(run('order_lo'), run('order_hi') + 1) as t (i)  -- noqa: AL05
    ),

    timeline as (
        select
            order_id,
            order_date,
            day_position,
            run('state_as_of') - order_date as age,
            cast(
                1 + floor(
                    rnd(order_id, 'cust')
                    * (((order_date - run('signup_start')) + 1) * run('n_customers') // run('signup_days'))
                ) as integer
            ) as customer_id,
            order_fate(order_id) as fate,
            order_t_ship(order_id) as t_ship,
            order_t_deliver(order_id) as t_deliver,
            order_t_return(order_id) as t_return
        from base
    ),

    with_status as (
        select
            *,
            customer_country(customer_id) as country,
            case
                when age < t_ship then 'placed'
                when fate = 'cancelled' then 'cancelled'
                when age < t_deliver then 'shipped'
                when fate = 'returned' and age >= t_return then 'returned'
                else 'delivered'
            end as status,
            -- the day the row's current version lands: the day after the order, or the day of its last change
            order_date + case
                when fate = 'returned' and age >= t_return then t_return
                when fate <> 'cancelled' and age >= t_deliver then t_deliver
                when age >= t_ship then t_ship
                else 1
            end as load_date
        from timeline
    )

    select
        order_id,
        customer_id,
        -- between 08:00 and 23:00, in order-id order, jittered by less than the gap between two orders:
        -- no two orders share a timestamp, so (customer_id, ordered_at) is unique on clean data.
        cast(order_date as timestamp) + to_microseconds(cast(
            (28800 + (day_position + rnd(order_id, 'time') * 0.5 * run('order_days') / run('n_orders')) * 54000)
            * 1000000 as bigint
        )) as ordered_at,
        status,
        case when country = 'US' then 'USD' when country = 'GB' then 'GBP' else 'EUR' end as currency_code,
        country as shipping_country_code,
        landed_on(load_date) as landed_on
    from with_status
    where order_date < run('state_as_of');

-- A window set back to an earlier day (the `late` fault) loses the orders that landed since.
delete from raw_shop.orders as o
where
    $reset
    and o.order_id >= $order_lo and o.order_id < $duplicate_offset
    and not exists (select s.order_id from orders_in_window() as s where s.order_id = o.order_id);

-- Status changes (and, when set back, every version as it was then); customer_id is never updated.
update raw_shop.orders as o
set status = s.status, _loaded_at = loaded_at(s.order_id, s.landed_on)
from orders_in_window() as s
where
    $append
    and o.order_id = s.order_id
    and (o.status <> s.status or ($reset and o._loaded_at <> loaded_at(s.order_id, s.landed_on)));

insert into raw_shop.orders
select
    s.order_id, s.customer_id, s.ordered_at, s.status, s.currency_code, s.shipping_country_code,
    loaded_at(s.order_id, s.landed_on) as _loaded_at
from orders_in_window() as s
where not exists (
        select o.order_id from raw_shop.orders as o where o.order_id >= $order_lo and o.order_id = s.order_id
    );

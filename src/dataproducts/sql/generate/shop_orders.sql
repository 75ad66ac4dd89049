-- Order i falls on day floor((i - 1) * days / n) of the window, so every day has the same volume (+-1) at
-- any scale; the customer is one who had signed up by then.
create table raw_shop.orders as
with base as (
    select
        cast(i as integer) as order_id,
        $as_of - $order_days + cast(floor((i - 1) * $order_days / $n_orders) as integer) as order_date,
        -- where the order falls within its day, in [0, 1): strictly increasing with the order id
        (i - 1) * $order_days / $n_orders - floor((i - 1) * $order_days / $n_orders) as day_position
    from range(1, $n_orders + 1) as t (i)  -- noqa: AL05
),

with_customer as (
    select
        order_id,
        order_date,
        day_position,
        cast(
            1 + floor(
                rnd(order_id, 'cust') * least(
                    $n_customers,
                    floor(((order_date - ($as_of - $signup_days)) + 1) * $n_customers / $signup_days)
                )
            ) as integer
        ) as customer_id
    from base
)

select
    o.order_id,
    o.customer_id,
    -- between 08:00 and 23:00, in order-id order, jittered by less than the gap between two orders:
    -- no two orders share a timestamp, so (customer_id, ordered_at) is unique on clean data.
    cast(o.order_date as timestamp) + to_microseconds(cast(
        (28800 + (o.day_position + rnd(o.order_id, 'time') * 0.5 * $order_days / $n_orders) * 54000)
        * 1000000 as bigint
    )) as ordered_at,
    case
        when $as_of - o.order_date <= 2 then pick(['placed', 'placed', 'shipped'], rnd(o.order_id, 'st'))
        when $as_of - o.order_date <= 7 then pick(['shipped', 'shipped', 'delivered'], rnd(o.order_id, 'st'))
        when rnd(o.order_id, 'st') < 0.05 then 'cancelled'
        when rnd(o.order_id, 'st') < 0.13 then 'returned'
        else 'delivered'
    end as status,
    case
        when upper(trim(c.country_code)) = 'US' then 'USD'
        when upper(trim(c.country_code)) = 'GB' then 'GBP'
        else 'EUR'
    end as currency_code,
    upper(trim(c.country_code)) as shipping_country_code,
    loaded_at(o.order_id, $as_of) as _loaded_at
from with_customer as o
inner join raw_crm.customers as c on o.customer_id = c.customer_id

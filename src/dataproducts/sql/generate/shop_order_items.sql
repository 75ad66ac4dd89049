-- raw_shop.order_items: 1-4 lines per order, landing the day after the order. The window's orders are read
-- back from raw_shop.orders, which now holds exactly the state's orders there (their currency and day).
create or replace temp macro order_items_in_window() as table
    with lines as (
        select
            o.order_id, o.currency_code, cast(o.ordered_at as date) as order_date,
            unnest(range(1 + floor(rnd(o.order_id, 'n') * 4)::int)) as line
        from raw_shop.orders as o
        where o.order_id between run('order_lo') and run('order_hi')
    )

    select
        -- at most 4 lines per order: a stable key without a sort over all lines
        cast((l.order_id - 1) * 4 + l.line + 1 as integer) as order_item_id,
        l.order_id,
        p.product_id,
        cast(pick([1, 1, 1, 1, 2, 2, 3, 4, 5], rnd(l.order_id * 8 + l.line, 'qty')) as integer) as quantity,
        cast(round(p.list_price / r.rate_to_eur, 2) as decimal(10, 2)) as unit_price,
        cast(case when rnd(l.order_id * 8 + l.line, 'disc') < 0.1
                then round(p.list_price / r.rate_to_eur * 0.1, 2)
            else 0
        end as decimal(10, 2))
            as discount_amount,
        l.order_id * 8 + l.line as load_key,
        landed_on(l.order_date + 1) as landed_on
    from lines as l
    inner join raw_shop.products as p
        on p.product_id = 1 + floor(rnd(l.order_id * 8 + l.line, 'prod') * run('n_products'))::int
    inner join raw_shop.exchange_rates as r on l.currency_code = r.currency_code;

delete from raw_shop.order_items as i
where
    $reset
    and i.order_id >= $order_lo and i.order_id < $duplicate_offset
    and not exists (
        select s.order_item_id from order_items_in_window() as s where s.order_item_id = i.order_item_id
    );

update raw_shop.order_items as i
set _loaded_at = loaded_at(s.load_key, s.landed_on)
from order_items_in_window() as s
where $reset and i.order_item_id = s.order_item_id and i._loaded_at <> loaded_at(s.load_key, s.landed_on);

insert into raw_shop.order_items
select
    s.order_item_id, s.order_id, s.product_id, s.quantity, s.unit_price, s.discount_amount,
    loaded_at(s.load_key, s.landed_on) as _loaded_at
from order_items_in_window() as s
where not exists (
        select i.order_item_id from raw_shop.order_items as i
        where i.order_id >= $order_lo and i.order_item_id = s.order_item_id
    );

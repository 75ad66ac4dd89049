create table raw_shop.order_items as
with lines as (
    select o.order_id, o.currency_code, unnest(range(1 + floor(rnd(o.order_id, 'n') * 4)::int)) as line
    from raw_shop.orders as o
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
    loaded_at(l.order_id * 8 + l.line, $as_of) as _loaded_at
from lines as l
inner join raw_shop.products as p
    on p.product_id = 1 + floor(rnd(l.order_id * 8 + l.line, 'prod') * $n_products)::int
inner join raw_shop.exchange_rates as r on l.currency_code = r.currency_code

-- Duplicate keys live in a key space of their own (duplicate_offset + the original's key), so they never meet
-- the keys of later appends, and injecting the fault again adds no second copy.
-- The CRM re-registers a customer: a new customer_id with the same person's data.
insert into raw_crm.customers
select
    cast($duplicate_offset + c.customer_id as integer) as customer_id,
    c.first_name, c.last_name, c.email, c.phone, c.street, c.city, c.postal_code, c.country_code,
    c.signup_date, c.status, c.updated_at,
    loaded_at($duplicate_offset + c.customer_id, $state_as_of) as _loaded_at
from raw_crm.customers as c
where
    c.customer_id % 200 = 7 and c.customer_id < $duplicate_offset
    and not exists (
        select d.customer_id from raw_crm.customers as d where d.customer_id = $duplicate_offset + c.customer_id
    );

-- The shop double-submits orders of the last 7 days: new order ids, the same items and payments.
create temp table duplicate_orders as
select
    order_id as original_id,
    cast($duplicate_offset + order_id as integer) as order_id
from raw_shop.orders
where order_id % 10 = 3 and order_id < $duplicate_offset and ordered_at >= cast($as_of - 7 as timestamp);

insert into raw_shop.orders
select
    d.order_id, o.customer_id, o.ordered_at, o.status, o.currency_code,
    o.shipping_country_code, o._loaded_at
from duplicate_orders as d inner join raw_shop.orders as o on d.original_id = o.order_id
where not exists (select e.order_id from raw_shop.orders as e where e.order_id = d.order_id);

insert into raw_shop.order_items
select
    cast($duplicate_offset + i.order_item_id as integer) as order_item_id,
    d.order_id, i.product_id, i.quantity, i.unit_price, i.discount_amount, i._loaded_at
from duplicate_orders as d inner join raw_shop.order_items as i on d.original_id = i.order_id
where not exists (
        select e.order_item_id
        from raw_shop.order_items as e
        where e.order_item_id = $duplicate_offset + i.order_item_id
    );

insert into raw_shop.payments
select
    cast($duplicate_offset + p.payment_id as integer) as payment_id,
    d.order_id, p.payment_method, p.status, p.amount, p.currency_code, p.paid_at, p._loaded_at
from duplicate_orders as d inner join raw_shop.payments as p on d.original_id = p.order_id
where not exists (
        select e.payment_id from raw_shop.payments as e where e.payment_id = $duplicate_offset + p.payment_id
    );

drop table duplicate_orders;

-- The CRM re-registers a customer: a new customer_id with the same person's data.
insert into raw_crm.customers
select
    cast(
        (select max(existing.customer_id) as max_customer_id from raw_crm.customers as existing)
        + row_number() over (order by customer_id) as integer
    ) as customer_id,
    first_name, last_name, email, phone, street, city, postal_code, country_code,
    signup_date, status, updated_at, _loaded_at
from raw_crm.customers where customer_id % 200 = 7;
-- The shop double-submits orders of the last 7 days: new order ids, the same items and payments.
create temp table dup_orders as
select
    order_id as original_id,
    cast(
        (select max(existing.order_id) as max_order_id from raw_shop.orders as existing)
        + row_number() over (order by order_id) as integer
    ) as order_id
from raw_shop.orders
where order_id % 10 = 3 and ordered_at >= cast($as_of - 7 as timestamp);
insert into raw_shop.orders
select
    d.order_id, o.customer_id, o.ordered_at, o.status, o.currency_code,
    o.shipping_country_code, o._loaded_at
from dup_orders as d inner join raw_shop.orders as o on d.original_id = o.order_id;
insert into raw_shop.order_items
select
    cast(
        (select max(existing.order_item_id) as max_order_item_id from raw_shop.order_items as existing)
        + row_number() over (order by i.order_item_id) as integer
    ) as order_item_id,
    d.order_id, i.product_id, i.quantity, i.unit_price, i.discount_amount, i._loaded_at
from dup_orders as d inner join raw_shop.order_items as i on d.original_id = i.order_id;
insert into raw_shop.payments
select
    cast(
        (select max(existing.payment_id) as max_payment_id from raw_shop.payments as existing)
        + row_number() over (order by p.payment_id) as integer
    ) as payment_id,
    d.order_id, p.payment_method, p.status, p.amount, p.currency_code, p.paid_at, p._loaded_at
from dup_orders as d inner join raw_shop.payments as p on d.original_id = p.order_id;
drop table dup_orders;

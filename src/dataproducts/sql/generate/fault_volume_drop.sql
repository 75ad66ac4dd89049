-- Only 10% of the last data day's orders (with their items and payments) and requests (with their error
-- events) arrive; the rest are missing until the next append, which delivers them late.
create temp table dropped_orders as
select order_id from raw_shop.orders
where cast(ordered_at as date) = $as_of - 1 and order_id % 10 <> 0 and order_id < $duplicate_offset;
delete from raw_shop.payments where order_id in (select order_id from dropped_orders);
delete from raw_shop.order_items where order_id in (select order_id from dropped_orders);
delete from raw_shop.orders where order_id in (select order_id from dropped_orders);
drop table dropped_orders;
delete from raw_telemetry.error_events
where request_id in (
        select request_id from raw_telemetry.request_logs
        where cast(requested_at as date) = $as_of - 1 and request_id % 10 <> 0
    );
delete from raw_telemetry.request_logs where cast(requested_at as date) = $as_of - 1 and request_id % 10 <> 0;

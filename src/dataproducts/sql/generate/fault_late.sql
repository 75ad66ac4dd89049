-- The feed stalled late_days days before the as-of day: no events from then on, every row loaded that day.
delete from raw_shop.payments
where paid_at >= cast($as_of - $late_days as timestamp)
    or order_id in (
        select order_id from raw_shop.orders where ordered_at >= cast($as_of - $late_days as timestamp)
    );
delete from raw_shop.order_items
where order_id in (
        select order_id from raw_shop.orders where ordered_at >= cast($as_of - $late_days as timestamp)
    );
delete from raw_shop.orders where ordered_at >= cast($as_of - $late_days as timestamp);
delete from raw_crm.customers
where signup_date >= $as_of - $late_days
    and customer_id not in (select customer_id from raw_shop.orders where customer_id is not null);
update raw_crm.customers
set updated_at = least(updated_at, cast($as_of - $late_days as timestamp) - interval 1 second);
delete from raw_telemetry.error_events where occurred_at >= cast($as_of - $late_days as timestamp);
delete from raw_telemetry.request_logs where requested_at >= cast($as_of - $late_days as timestamp);
update raw_crm.customers set _loaded_at = loaded_at(customer_id, $as_of - $late_days);
update raw_shop.products set _loaded_at = loaded_at(product_id, $as_of - $late_days);
update raw_shop.exchange_rates set _loaded_at = loaded_at(currency_code, $as_of - $late_days);
update raw_shop.orders set _loaded_at = loaded_at(order_id, $as_of - $late_days);
update raw_shop.order_items set _loaded_at = loaded_at(order_item_id, $as_of - $late_days);
update raw_shop.payments set _loaded_at = loaded_at(payment_id, $as_of - $late_days);
update raw_telemetry.request_logs set _loaded_at = loaded_at(request_id, $as_of - $late_days);
update raw_telemetry.error_events set _loaded_at = loaded_at(error_id, $as_of - $late_days);
update raw_telemetry.kpi_targets set _loaded_at = loaded_at(kpi_name, $as_of - $late_days);

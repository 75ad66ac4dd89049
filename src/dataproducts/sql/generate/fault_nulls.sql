-- A burst of NULL customer_id on the last data day.
update raw_shop.orders set customer_id = null
where order_id % 4 = 0 and cast(ordered_at as date) = $as_of - 1;

-- The deprecated version 1 (the relation `sales.fct_orders`): the latest version, unchanged, under its old name.
select * from {{ ref('orders', v=2) }}

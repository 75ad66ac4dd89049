-- The deprecated version 1 (the relation `sales.fct_order_items`): the latest version, unchanged, under its old name.
select * from {{ ref('order_items', v=2) }}

-- The deprecated version 1 (the relation `sales.dim_products`): the latest version, unchanged, under its old name.
select * from {{ ref('products', v=2) }}

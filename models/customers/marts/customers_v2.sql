-- The deprecated version 2 (the relation `customers.dim_customers_v2`): the latest version, unchanged, under
-- its old name.
select * from {{ ref('customers', v=3) }}

-- raw_shop.products, a full daily extract of the catalogue: 500 fixed products created in the 300 days from
-- signup_start (365 days before the origin), every row loaded on the state day.
delete from raw_shop.products;

insert into raw_shop.products
select
    cast(i as integer) as product_id,
    'SKU-' || lpad(cast(i as varchar), 6, '0') as sku,
    pick(['Classic', 'Eco', 'Pro', 'Mini', 'Deluxe', 'Urban', 'Smart', 'Vintage'], rnd(i, 'adj'))
    || ' '
    || pick(
        ['Shirt', 'Sneaker', 'Lamp', 'Speaker', 'Planter', 'Puzzle', 'Notebook', 'Serum', 'Backpack', 'Kettle'],
        rnd(i, 'noun')
    )
    || ' '
    || cast(i as varchar) as product_name,
    pick(
        ['apparel', 'shoes', 'electronics', 'home', 'garden', 'toys', 'books', 'beauty'], rnd(i, 'cat')
    ) as category,
    cast(round(4.99 + rnd(i, 'price') * 195, 2) as decimal(10, 2)) as list_price,
    rnd(i, 'active') >= 0.08 as is_active,
    cast($signup_start as timestamp) + to_seconds(cast(rnd(i, 'created') * 86400 * 300 as bigint))
        as created_at,
    loaded_at(i, $state_as_of) as _loaded_at
from range(1, $n_products + 1) as t (i)  -- noqa: AL05

-- A fresh generate: empty landing schemas with every table's columns and types (docs/landing.md), and the
-- landing state. The table scripts then fill them exactly as an append does.
drop schema if exists raw_crm cascade;
drop schema if exists raw_shop cascade;
drop schema if exists raw_telemetry cascade;
drop schema if exists raw_meta cascade;
create schema raw_crm;
create schema raw_shop;
create schema raw_telemetry;
create schema raw_meta;

create table raw_crm.customers (
    customer_id integer,
    first_name varchar,
    last_name varchar,
    email varchar,
    phone varchar,
    street varchar,
    city varchar,
    postal_code varchar,
    country_code varchar,
    signup_date date,
    status varchar,
    updated_at timestamp,
    _loaded_at timestamp
);

create table raw_shop.products (
    product_id integer,
    sku varchar,
    product_name varchar,
    category varchar,
    list_price decimal(10, 2),
    is_active boolean,
    created_at timestamp,
    _loaded_at timestamp
);

create table raw_shop.exchange_rates (
    currency_code varchar,
    rate_to_eur decimal(12, 6),
    valid_from date,
    _loaded_at timestamp
);

create table raw_shop.orders (
    order_id integer,
    customer_id integer,
    ordered_at timestamp,
    status varchar,
    currency_code varchar,
    shipping_country_code varchar,
    _loaded_at timestamp
);

create table raw_shop.order_items (
    order_item_id integer,
    order_id integer,
    product_id integer,
    quantity integer,
    unit_price decimal(10, 2),
    discount_amount decimal(10, 2),
    _loaded_at timestamp
);

create table raw_shop.payments (
    payment_id integer,
    order_id integer,
    payment_method varchar,
    status varchar,
    amount decimal(12, 2),
    currency_code varchar,
    paid_at timestamp,
    _loaded_at timestamp
);

create table raw_telemetry.request_logs (
    request_id bigint,
    requested_at timestamp,
    service varchar,
    endpoint varchar,
    http_method varchar,
    status_code integer,
    latency_ms double,
    _loaded_at timestamp
);

create table raw_telemetry.error_events (
    error_id bigint,
    request_id bigint,
    occurred_at timestamp,
    service varchar,
    error_type varchar,
    severity varchar,
    message varchar,
    _loaded_at timestamp
);

create table raw_telemetry.kpi_targets (
    kpi_name varchar,
    service varchar,
    description varchar,
    target_value double,
    comparison varchar,
    unit varchar,
    valid_from date,
    _loaded_at timestamp
);

-- What the landing area is: one row, the same whichever way (fresh or day by day) it was produced.
create table raw_meta.landing_state (
    origin date,
    as_of date,
    seed integer,
    scale double,
    generator_version integer
);

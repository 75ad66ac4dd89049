-- raw_telemetry.kpi_targets, a full daily extract: fixed targets valid from the origin, loaded on the state day.
delete from raw_telemetry.kpi_targets;

insert into raw_telemetry.kpi_targets
select
    kpi_name, service, description, cast(target_value as double) as target_value, comparison,
    unit, $origin as valid_from, loaded_at(kpi_name, $state_as_of) as _loaded_at
from (
    values
    ('checkout_availability', 'checkout', 'Share of checkout requests without a 5xx', 0.99, '>=', 'ratio'),
    ('payments_availability', 'payments', 'Share of payment requests without a 5xx', 0.97, '>=', 'ratio'),
    ('catalog_availability', 'catalog', 'Share of catalog requests without a 5xx', 0.99, '>=', 'ratio'),
    ('search_p95_latency_ms', 'search', '95th percentile search latency', 400.0, '<=', 'ms'),
    ('checkout_p95_latency_ms', 'checkout', '95th percentile checkout latency', 600.0, '<=', 'ms'),
    ('daily_orders', null, 'Orders placed per day', $daily_orders_target, '>=', 'orders'),
    ('payment_failure_rate', null, 'Share of payment attempts that failed', 0.15, '<=', 'ratio')
) as t (kpi_name, service, description, target_value, comparison, unit)  -- noqa: AL05

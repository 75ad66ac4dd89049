create table raw_telemetry.error_events as
with from_requests as (
    select
        request_id, requested_at + to_seconds(1) as occurred_at, service,
        case when status_code = 503 then 'ServiceUnavailable' when status_code = 504 then 'Timeout'
            else pick(['UpstreamError', 'DatabaseError', 'NullPointer'], rnd(request_id, 'et')) end
            as error_type,
        case when rnd(request_id, 'sev') < 0.15 then 'critical' else 'error' end as severity
    from raw_telemetry.request_logs where status_code >= 500
),

background as (
    select
        null::bigint as request_id,
        cast($as_of - $telemetry_days as timestamp)
        + to_seconds(cast(rnd(i, 'bg') * ($telemetry_days * 86400) as bigint)) as occurred_at,
        pick(['checkout', 'catalog', 'search', 'auth', 'payments'], rnd(i, 'bgs')) as service,
        pick(['CacheMiss', 'SlowQuery', 'RetryExhausted'], rnd(i, 'bgt')) as error_type,
        'warning' as severity
    from range(1, $n_background_errors + 1) as t (i)  -- noqa: AL05
),

all_errors as (
    select * from from_requests
    union all
    select * from background
)

select
    cast(
        row_number() over (order by occurred_at, request_id nulls last, service, error_type)
        as bigint
    ) as error_id,
    request_id,
    occurred_at,
    service,
    error_type,
    severity,
    error_type || ' in ' || service || coalesce(' (request ' || request_id || ')', '') as message,
    loaded_at(occurred_at, $as_of) as _loaded_at
from all_errors

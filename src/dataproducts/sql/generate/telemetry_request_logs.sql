create table raw_telemetry.request_logs as
with base as (
    select
        cast(i as bigint) as request_id,
        cast($as_of - $telemetry_days as timestamp)
        + to_seconds(cast(floor((i - 1) * ($telemetry_days * 86400) / $n_requests) as bigint))
            as requested_at,
        pick(
            ['catalog', 'catalog', 'catalog', 'search', 'search', 'checkout', 'auth', 'payments'],
            rnd(i, 'svc')
        ) as service,
        rnd(i, 'code') as u_code,
        rnd(i, 'lat') as u_lat
    from range(1, $n_requests + 1) as t (i)  -- noqa: AL05
)

select
    request_id,
    requested_at,
    service,
    case service
        when 'checkout' then pick(['/checkout', '/cart', '/checkout/confirm'], rnd(request_id, 'ep'))
        when 'catalog' then pick(['/products', '/products/{id}', '/categories'], rnd(request_id, 'ep'))
        when 'search' then pick(['/search', '/suggest'], rnd(request_id, 'ep'))
        when 'auth' then pick(['/login', '/logout', '/token'], rnd(request_id, 'ep'))
        else pick(['/payments', '/payments/{id}/capture', '/refunds'], rnd(request_id, 'ep'))
    end as endpoint,
    case when service in ('checkout', 'payments') then pick(['POST', 'GET'], rnd(request_id, 'm'))
        else 'GET'
    end as http_method,
    cast(case
        when u_code < case when service = 'payments' then 0.02 else 0.006 end
            then pick([500, 502, 503, 504], rnd(request_id, 'c5'))
        when u_code < 0.04 then pick([400, 401, 404, 404, 429], rnd(request_id, 'c4'))
        else pick([200, 200, 200, 200, 201, 204, 304], rnd(request_id, 'c2'))
    end as integer) as status_code,
    round(
        -ln(1 - u_lat) * case service
            when 'search' then 120
            when 'payments' then 250
            when 'checkout' then 180
            else 60
        end + 5,
        1
    ) as latency_ms,
    loaded_at(request_id, $as_of) as _loaded_at
from base

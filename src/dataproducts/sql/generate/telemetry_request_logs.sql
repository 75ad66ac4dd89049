-- raw_telemetry.request_logs. Request r is made at telemetry_start (the origin + 700 days) +
-- (r - 1) * telemetry_days * 86400 // n_requests seconds: n_requests every 30 days, for as long as the landing
-- area grows. A request lands the day after it was made.
create or replace temp macro request_logs_in_window() as table
    with base as (
        select
            cast(i as bigint) as request_id,
            run('telemetry_start') + to_seconds((i - 1) * (run('telemetry_days') * 86400) // run('n_requests'))
                as requested_at,
            pick(
                ['catalog', 'catalog', 'catalog', 'search', 'search', 'checkout', 'auth', 'payments'],
                rnd(i, 'svc')
            ) as service,
            rnd(i, 'code') as u_code,
            rnd(i, 'lat') as u_lat
        from range(run('request_lo'), run('request_hi') + 1) as t (i)  -- noqa: AL05
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
        landed_on(cast(requested_at as date) + 1) as landed_on
    from base
    where requested_at < run('state_as_of');

delete from raw_telemetry.request_logs as r
where
    $reset
    and r.request_id >= $request_lo
    and not exists (select s.request_id from request_logs_in_window() as s where s.request_id = r.request_id);

update raw_telemetry.request_logs as r
set _loaded_at = loaded_at(s.request_id, s.landed_on)
from request_logs_in_window() as s
where $reset and r.request_id = s.request_id and r._loaded_at <> loaded_at(s.request_id, s.landed_on);

insert into raw_telemetry.request_logs
select
    s.request_id, s.requested_at, s.service, s.endpoint, s.http_method, s.status_code, s.latency_ms,
    loaded_at(s.request_id, s.landed_on) as _loaded_at
from request_logs_in_window() as s
where not exists (
        select r.request_id from raw_telemetry.request_logs as r
        where r.request_id >= $request_lo and r.request_id = s.request_id
    );

-- raw_telemetry.error_events: one a second after each 5xx request (error_id = request_id), and background
-- errors, n_background_errors every 30 days from telemetry_start, error k somewhere in its own slot
-- (error_id = background_offset + k, so the two key spaces never meet). An event lands the day after it.
-- The window's requests are read back from raw_telemetry.request_logs, which now holds exactly the state's.
create or replace temp macro error_events_in_window() as table
    with from_requests as (
        select
            request_id as error_id,
            request_id, requested_at + to_seconds(1) as occurred_at, service,
            case when status_code = 503 then 'ServiceUnavailable' when status_code = 504 then 'Timeout'
                else pick(['UpstreamError', 'DatabaseError', 'NullPointer'], rnd(request_id, 'et')) end
                as error_type,
            case when rnd(request_id, 'sev') < 0.15 then 'critical' else 'error' end as severity
        from raw_telemetry.request_logs
        where request_id >= run('request_lo') and status_code >= 500
    ),

    background as (
        select
            run('background_offset') + i as error_id,
            null::bigint as request_id,
            run('telemetry_start') + to_seconds(cast(
                floor((i - 1 + rnd(i, 'bg')) * (run('telemetry_days') * 86400) / run('n_background_errors'))
                as bigint
            )) as occurred_at,
            pick(['checkout', 'catalog', 'search', 'auth', 'payments'], rnd(i, 'bgs')) as service,
            pick(['CacheMiss', 'SlowQuery', 'RetryExhausted'], rnd(i, 'bgt')) as error_type,
            'warning' as severity
        from range(run('background_lo'), run('background_hi') + 1) as t (i)  -- noqa: AL05
    ),

    all_errors as (
        select * from from_requests
        union all
        select * from background
    )

    select
        cast(error_id as bigint) as error_id,
        request_id,
        occurred_at,
        service,
        error_type,
        severity,
        error_type || ' in ' || service || coalesce(' (request ' || request_id || ')', '') as message,
        landed_on(cast(occurred_at as date) + 1) as landed_on
    from all_errors
    where occurred_at < run('state_as_of');

delete from raw_telemetry.error_events as e
where
    $reset
    and (
        e.error_id >= $request_lo and e.error_id < $background_offset
        or e.error_id >= $background_offset + $background_lo
    )
    and not exists (select s.error_id from error_events_in_window() as s where s.error_id = e.error_id);

update raw_telemetry.error_events as e
set _loaded_at = loaded_at(s.error_id, s.landed_on)
from error_events_in_window() as s
where $reset and e.error_id = s.error_id and e._loaded_at <> loaded_at(s.error_id, s.landed_on);

insert into raw_telemetry.error_events
select
    s.error_id, s.request_id, s.occurred_at, s.service, s.error_type, s.severity, s.message,
    loaded_at(s.error_id, s.landed_on) as _loaded_at
from error_events_in_window() as s
where not exists (
        select e.error_id from raw_telemetry.error_events as e
        where e.error_id >= $request_lo and e.error_id = s.error_id
    );

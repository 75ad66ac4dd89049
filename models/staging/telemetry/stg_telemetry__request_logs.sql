with

source as (

    select * from {{ source('telemetry', 'request_logs') }}

),

renamed as (

    select
        -- ids
        request_id,

        -- strings
        lower(trim(service)) as service,
        trim(endpoint) as endpoint,
        upper(trim(http_method)) as http_method,

        -- numerics
        status_code,
        latency_ms,

        -- timestamps
        requested_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed

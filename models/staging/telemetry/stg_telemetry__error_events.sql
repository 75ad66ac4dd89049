with

source as (

    select * from {{ source('telemetry', 'error_events') }}

),

renamed as (

    select
        -- ids
        error_id,
        request_id,

        -- strings
        lower(trim(service)) as service,
        trim(error_type) as error_type,
        lower(trim(severity)) as severity,
        message,

        -- timestamps
        occurred_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed

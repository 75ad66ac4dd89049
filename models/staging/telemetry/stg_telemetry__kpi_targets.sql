with

source as (

    select * from {{ source('telemetry', 'kpi_targets') }}

),

renamed as (

    select
        -- ids
        trim(kpi_name) as kpi_name,

        -- strings
        lower(trim(service)) as service,
        description as kpi_description,
        trim(comparison) as comparison,
        trim(unit) as unit,

        -- numerics
        target_value,

        -- dates
        valid_from,

        -- timestamps
        _loaded_at as loaded_at

    from source

)

select * from renamed

-- percentile_cont over 1..10: the continuous median is 5.5, the 90th percentile 9.1.
with

measurements as (

    select * from {{ ref('measurements') }}

),

percentiles as (

    select
        {{ dataproducts_utils.percentile_cont('measurement', 0.5) }} as p50_measurement,
        {{ dataproducts_utils.percentile_cont('measurement', 0.9) }} as p90_measurement
    from measurements

)

select * from percentiles

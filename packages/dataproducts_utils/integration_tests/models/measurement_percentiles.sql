-- percentile_cont over 1..10: the continuous median is 5.5, the 90th percentile 9.1; percentiles_cont
-- computes both in one aggregate, array_element reads them.
with

measurements as (

    select * from {{ ref('measurements') }}

),

percentiles as (

    select
        {{ dataproducts_utils.percentile_cont('measurement', 0.5) }} as p50_measurement,
        {{ dataproducts_utils.percentile_cont('measurement', 0.9) }} as p90_measurement,
        {{ dataproducts_utils.percentiles_cont('measurement', [0.5, 0.9]) }} as measurement_percentiles
    from measurements

),

read_back as (

    select
        p50_measurement,
        p90_measurement,
        {{ dataproducts_utils.array_element('measurement_percentiles', 1) }} as p50_from_percentiles,
        {{ dataproducts_utils.array_element('measurement_percentiles', 2) }} as p90_from_percentiles
    from percentiles

)

select * from read_back

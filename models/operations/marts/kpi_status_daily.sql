{%- set tolerance = var('kpi_at_risk_tolerance', 0.05) -%}

with

kpi_targets as (

    select * from {{ ref('stg_telemetry__kpi_targets') }}

),

kpi_actuals as (

    select * from {{ ref('int_kpi_actuals_unioned') }}

),

targets_mapped_to_measures as (

    -- a service KPI is named <service>_<measure> (`checkout_availability`), a business KPI is the measure
    select
        kpi_name,
        service,
        unit,
        comparison,
        target_value,
        valid_from,
        case
            when service is null then kpi_name
            else {{ dbt.right('kpi_name', dbt.length('kpi_name') ~ ' - ' ~ dbt.length('service') ~ ' - 1') }}
        end as measure_name
    from kpi_targets

),

targets_joined_to_actuals as (

    select
        targets_mapped_to_measures.kpi_name,
        kpi_actuals.activity_date,
        targets_mapped_to_measures.service,
        targets_mapped_to_measures.unit,
        targets_mapped_to_measures.comparison,
        targets_mapped_to_measures.target_value,
        kpi_actuals.actual_value
    from targets_mapped_to_measures
    inner join kpi_actuals
        on
            targets_mapped_to_measures.measure_name = kpi_actuals.measure_name
            and coalesce(targets_mapped_to_measures.service, '') = coalesce(kpi_actuals.service, '')
            and targets_mapped_to_measures.valid_from <= kpi_actuals.activity_date

),

statuses_assigned as (

    select
        targets_joined_to_actuals.*,
        case
            when actual_value is null then 'off_track'
            when comparison = '>=' and actual_value >= target_value then 'on_track'
            when comparison = '<=' and actual_value <= target_value then 'on_track'
            when comparison = '>=' and actual_value >= target_value * (1 - {{ tolerance }}) then 'at_risk'
            when comparison = '<=' and actual_value <= target_value * (1 + {{ tolerance }}) then 'at_risk'
            else 'off_track'
        end as status
    from targets_joined_to_actuals

),

final as (

    select
        kpi_name,
        activity_date,
        service,
        unit,
        comparison,
        cast(target_value as {{ dataproducts_utils.type_double() }}) as target_value,
        cast(actual_value as {{ dataproducts_utils.type_double() }}) as actual_value,
        status,
        status = 'on_track' as is_target_met
    from statuses_assigned

)

select * from final

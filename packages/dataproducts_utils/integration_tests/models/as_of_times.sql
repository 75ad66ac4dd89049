-- The time macros: the as-of time and dbt's current_timestamp (overridden by the package through the
-- project's `dbt` dispatch search order), both at the var `as_of` 06:00 UTC.
with

judged as (

    select
        {{ dataproducts_utils.as_of_timestamp() }} as judged_at,
        {{ dbt.current_timestamp() }} as current_at

)

select * from judged

-- The events the generic tests run on (a leaf model: a test meant to fail skips nothing downstream).
with

events as (

    select * from {{ ref('events') }}

)

select * from events

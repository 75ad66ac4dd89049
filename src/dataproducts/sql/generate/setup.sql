-- Helpers for the generator's other scripts (temporary macros of this session, both modes).
-- A macro cannot hold a prepared-statement parameter, so the seed and the run's values (a struct of every
-- parameter) are put into session variables first.
set variable generate_seed = cast($seed as integer);  -- noqa: PRS
set variable generate_run = $run;  -- noqa: PRS

-- run(field): one of the run's values, for the macros ('origin', 'state_as_of', 'order_lo', ...).
create or replace temp macro run(field) as struct_extract(getvariable('generate_run'), field);

-- rnd(k, salt): a uniform number in [0, 1) from a hash of the key, a salt and the seed.
create or replace temp macro rnd(k, salt) as
(hash(k, salt, getvariable('generate_seed')) % 4294967296)::double / 4294967296.0;

-- pick(lst, u): the element of lst that the uniform number u falls on.
create or replace temp macro pick(lst, u) as lst[1 + least(floor(u * len(lst))::int, len(lst) - 1)];

-- loaded_at(k, day): when row k landed, within the first hour of day.
create or replace temp macro loaded_at(k, day) as
cast(day as timestamp) + to_seconds(cast(rnd(k, 'load') * 3600 as bigint));

-- landed_on(day): the day a row version that should land on day actually lands: that day, unless it should
-- have landed by the previous load and did not (a fault held it back): then it arrives late, on the as-of day.
create or replace temp macro landed_on(day) as case when day > run('previous') then day else run('as_of') end;

-- customer_country(c): customer c's country (ISO-2), which also sets the currency of the customer's orders.
create or replace temp macro customer_country(c) as
pick(
    ['DE', 'DE', 'DE', 'FR', 'FR', 'NL', 'GB', 'GB', 'US', 'US', 'ES', 'IT', 'AT', 'BE', 'PL', 'DK'],
    rnd(c, 'country')
);

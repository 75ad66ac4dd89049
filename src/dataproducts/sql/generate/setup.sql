-- Helpers for the generator's other scripts, then empty landing schemas.
-- A macro cannot hold a prepared-statement parameter, so the seed is put into a session variable first.
set variable generate_seed = cast($seed as integer);  -- noqa: PRS

-- rnd(k, salt): a uniform number in [0, 1) from a hash of the key, a salt and the seed.
create or replace temp macro rnd(k, salt) as
(hash(k, salt, getvariable('generate_seed')) % 4294967296)::double / 4294967296.0;

-- pick(lst, u): the element of lst that the uniform number u falls on.
create or replace temp macro pick(lst, u) as lst[1 + least(floor(u * len(lst))::int, len(lst) - 1)];

-- loaded_at(k, day): when row k landed, within the first hour of day.
create or replace temp macro loaded_at(k, day) as
cast(day as timestamp) + to_seconds(cast(rnd(k, 'load') * 3600 as bigint));

drop schema if exists raw_crm cascade;
drop schema if exists raw_shop cascade;
drop schema if exists raw_telemetry cascade;
create schema raw_crm;
create schema raw_shop;
create schema raw_telemetry;

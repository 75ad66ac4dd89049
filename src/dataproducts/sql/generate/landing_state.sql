-- What the landing area now is: the same row whichever way it was produced (no run times, no faults).
delete from raw_meta.landing_state;

insert into raw_meta.landing_state (origin, as_of, seed, scale, generator_version)
values ($origin, $as_of, $seed, $scale, $generator_version);

-- raw_shop.exchange_rates, a full daily extract: fixed rates valid from signup_start, loaded on the state day.
delete from raw_shop.exchange_rates;

insert into raw_shop.exchange_rates
select
    currency_code,
    cast(rate_to_eur as decimal(12, 6)) as rate_to_eur,
    $signup_start as valid_from,
    loaded_at(currency_code, $state_as_of) as _loaded_at
from (values ('EUR', 1.0), ('USD', 0.92), ('GBP', 1.17)) as t (currency_code, rate_to_eur)  -- noqa: AL05

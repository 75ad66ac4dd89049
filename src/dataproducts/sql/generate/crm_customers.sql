-- raw_crm.customers, a full daily extract of the CRM. Customer i signs up on day
-- signup_start + (i - 1) * signup_days // n_customers (a fixed rate from 365 days before the origin, so
-- about n_customers in the three years before the default as-of day); the extract holds everyone who signed
-- up before the state day, every row loaded on the state day.
create or replace temp macro customers_in_window() as table
    with base as (
        select
            cast(i as integer) as customer_id,
            pick(
                [
                    'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ines', 'Jonas',
                    'Karla', 'Leon', 'Mia', 'Noah', 'Olivia', 'Paul', 'Quentin', 'Rosa', 'Sofia', 'Tom',
                    'Ute', 'Victor', 'Wen', 'Xavier', 'Yara', 'Zoe', 'José', 'Zoë', 'Łukasz', 'Søren'
                ],
                rnd(i, 'first')
            ) as first_name,
            pick(
                [
                    'Müller', 'Schmidt', 'Dubois', 'Martin', 'de Vries', 'Jansen', 'Smith', 'Jones', 'García',
                    'López', 'Rossi', 'Bianchi', 'Novak', 'Nowak', 'O''Brien', 'Fischer', 'Weber', 'Meyer',
                    'Wagner', 'Becker', 'Bernard', 'Moreau', 'Taylor', 'Brown', 'Lefèvre', 'Visser', 'Silva',
                    'Costa', 'Kowalski', 'Andersen'
                ],
                rnd(i, 'last')
            ) as last_name,
            customer_country(i) as country,
            run('signup_start') + cast((i - 1) * run('signup_days') // run('n_customers') as integer) as signup_date,
            rnd(i, 'mess') as mess,
            rnd(i, 'phone') as u_phone,
            rnd(i, 'status') as u_status
        from range(run('customer_lo'), run('customer_hi') + 1) as t (i)  -- noqa: AL05
    )

    select
        customer_id,
        case when mess < 0.02 then '  ' || first_name || ' ' else first_name end as first_name,
        case when mess between 0.02 and 0.04 then upper(last_name) else last_name end as last_name,
        case
            when mess between 0.05 and 0.06 then null
            when mess between 0.06 and 0.08
                then upper(
                        lower(replace(first_name || '.' || last_name, ' ', '')) || '.'
                        || customer_id || '@example.com'
                    )
            when mess between 0.08 and 0.09
                then ' ' || lower(replace(first_name || '.' || last_name, ' ', '')) || '.'
                    || customer_id || '@example.com '
            else lower(replace(first_name || '.' || last_name, ' ', '')) || '.' || customer_id
                || '@example.com'
        end as email,
        case
            when u_phone < 0.10 then null
            when u_phone < 0.40 then '+49 30 ' || lpad(cast(customer_id % 10000000 as varchar), 7, '0')
            when u_phone < 0.70 then '0' || lpad(cast(customer_id * 7 % 1000000000 as varchar), 10, '0')
            else '(555) ' || lpad(cast(customer_id % 1000 as varchar), 3, '0') || '-'
                || lpad(cast(customer_id % 10000 as varchar), 4, '0')
        end as phone,
        cast(1 + customer_id % 199 as varchar) || ' '
        || pick(
            ['Main St', 'Hauptstraße', 'Rue de la Paix', 'Kerkstraat', 'High Street', 'Via Roma'],
            rnd(customer_id, 'street')
        ) as street,
        pick(
            map {
                'DE': ['Berlin', 'Hamburg', 'München', 'Köln'],
                'FR': ['Paris', 'Lyon', 'Marseille'],
                'NL': ['Amsterdam', 'Utrecht'],
                'GB': ['London', 'Manchester', 'Leeds'],
                'US': ['New York', 'Austin', 'Seattle'],
                'ES': ['Madrid', 'Barcelona'],
                'IT': ['Roma', 'Milano'],
                'AT': ['Wien', 'Graz'],
                'BE': ['Bruxelles', 'Antwerpen'],
                'PL': ['Warszawa', 'Kraków'],
                'DK': ['København', 'Aarhus']
            }[country],
            rnd(customer_id, 'city')
        ) as city,
        lpad(cast(cast(rnd(customer_id, 'zip') * 99999 as integer) as varchar), 5, '0') as postal_code,
        case
            when mess between 0.10 and 0.12 then lower(country)
            when mess between 0.12 and 0.13 then ' ' || country || ' '
            else country
        end as country_code,
        signup_date,
        case
            when u_status < 0.85 then 'active'
            when u_status < 0.95 then 'inactive'
            when u_status < 0.98 then 'ACTIVE'
            else ' active'
        end as status,
        cast(signup_date as timestamp) + to_seconds(cast(rnd(customer_id, 'upd') * 86400 as bigint))
            as updated_at
    from base
    where signup_date < run('state_as_of');

-- A window set back to an earlier day (the `late` fault) loses the customers who signed up since.
delete from raw_crm.customers as c
where
    $reset
    and c.customer_id >= $customer_lo and c.customer_id < $duplicate_offset
    and not exists (select s.customer_id from customers_in_window() as s where s.customer_id = c.customer_id);

insert into raw_crm.customers
select
    s.customer_id, s.first_name, s.last_name, s.email, s.phone, s.street, s.city, s.postal_code,
    s.country_code, s.signup_date, s.status, s.updated_at,
    loaded_at(s.customer_id, $state_as_of) as _loaded_at
from customers_in_window() as s
where not exists (
        select c.customer_id from raw_crm.customers as c
        where c.customer_id >= $customer_lo and c.customer_id = s.customer_id
    );

-- The whole extract (re-registered duplicates too) is loaded again on the state day.
update raw_crm.customers set _loaded_at = loaded_at(customer_id, $state_as_of)
where $append and _loaded_at <> loaded_at(customer_id, $state_as_of);

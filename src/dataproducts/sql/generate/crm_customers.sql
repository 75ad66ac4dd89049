create table raw_crm.customers as
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
        pick(
            ['DE', 'DE', 'DE', 'FR', 'FR', 'NL', 'GB', 'GB', 'US', 'US', 'ES', 'IT', 'AT', 'BE', 'PL', 'DK'],
            rnd(i, 'country')
        ) as country,
        $as_of - $signup_days + cast(floor((i - 1) * $signup_days / $n_customers) as integer) as signup_date,
        rnd(i, 'mess') as mess,
        rnd(i, 'phone') as u_phone,
        rnd(i, 'status') as u_status
    from range(1, $n_customers + 1) as t (i)  -- noqa: AL05
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
        as updated_at,
    loaded_at(customer_id, $as_of) as _loaded_at
from base

-- The source team fixed the feed: signup_date, retyped to VARCHAR (DD/MM/YYYY) by the schema_drift fault,
-- is a DATE again before the append (run only when the column is a VARCHAR).
alter table raw_crm.customers alter signup_date set data type date
using cast(strptime(signup_date, '%d/%m/%Y') as date);

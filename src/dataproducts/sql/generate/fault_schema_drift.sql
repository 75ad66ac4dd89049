-- signup_date arrives as VARCHAR (DD/MM/YYYY).
alter table raw_crm.customers alter signup_date set data type varchar using strftime(signup_date, '%d/%m/%Y');

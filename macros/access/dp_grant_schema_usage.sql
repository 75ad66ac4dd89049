{#- on-run-end: on PostgreSQL, USAGE on each product schema for exactly the roles that read a relation in it,
    and every other privilege on the project's schemas (models' and sources') revoked: a role no longer named,
    a grant by hand, anything granted to PUBLIC. dbt grants cannot do this (table SELECT only, and nothing is
    ever revoked from a relation that is not rebuilt). A no-op on DuckDB. -#}
{% macro dp_grant_schema_usage() %}
    {%- if execute and target.type == 'postgres' -%}
        {%- set expected = {} -%}
        {%- set usage = {} -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() if node.resource_type in ('model', 'seed', 'snapshot') -%}
            {%- if node.schema not in schemas -%}{%- do schemas.append(node.schema) -%}{%- endif -%}
            {%- set policy = dp_access_policy(node) -%}
            {%- if policy and node.config.enabled -%}
                {%- set alias = node.alias or node.name -%}
                {%- do expected.update({node.schema ~ '.' ~ alias: policy.in_clear}) -%}
                {%- if policy.personal -%}
                    {%- do expected.update({node.schema ~ '.' ~ alias ~ '_masked': policy.masked_readers}) -%}
                {%- endif -%}
                {%- set grantees = usage.setdefault(node.schema, []) -%}
                {%- for role in policy.in_clear + policy.masked_readers if role not in grantees -%}
                    {%- do grantees.append(role) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for source in graph.sources.values() if source.schema not in schemas -%}
            {%- do schemas.append(source.schema) -%}
        {%- endfor -%}
        {%- set in_list = "'" ~ schemas | join("', '") ~ "'" -%}
        {%- set statements = [] -%}
        {%- set table_grants = run_query(
            "select n.nspname, c.relname, coalesce(r.rolname, 'public'), a.privilege_type "
            ~ "from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
            ~ "cross join lateral aclexplode(c.relacl) as a left join pg_roles as r on r.oid = a.grantee "
            ~ "where n.nspname in (" ~ in_list ~ ") and a.grantee <> c.relowner") -%}
        {%- for row in table_grants.rows -%}
            {%- set relation = row[0] ~ '.' ~ row[1] -%}
            {%- if row[2] not in expected.get(relation, []) or row[3] != 'SELECT' -%}
                {%- set grantee = 'public' if row[2] == 'public' else adapter.quote(row[2]) -%}
                {%- do statements.append("revoke " ~ row[3] ~ " on " ~ adapter.quote(row[0]) ~ "."
                    ~ adapter.quote(row[1]) ~ " from " ~ grantee) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set schema_grants = run_query(
            "select n.nspname, coalesce(r.rolname, 'public'), a.privilege_type from pg_namespace as n "
            ~ "cross join lateral aclexplode(n.nspacl) as a left join pg_roles as r on r.oid = a.grantee "
            ~ "where n.nspname in (" ~ in_list ~ ") and a.grantee <> n.nspowner") -%}
        {%- for row in schema_grants.rows -%}
            {%- if row[1] not in usage.get(row[0], []) or row[2] != 'USAGE' -%}
                {%- set grantee = 'public' if row[1] == 'public' else adapter.quote(row[1]) -%}
                {%- do statements.append("revoke " ~ row[2] ~ " on schema " ~ adapter.quote(row[0]) ~ " from " ~ grantee) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set existing = run_query("select nspname from pg_namespace where nspname in (" ~ in_list ~ ")")
            .columns[0].values() -%}
        {%- for schema, roles in usage.items() if schema in existing -%}
            {%- for role in roles -%}
                {%- do statements.append("grant usage on schema " ~ adapter.quote(schema) ~ " to " ~ adapter.quote(role)) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if statements -%}{%- do run_query(statements | join(";\n")) -%}{%- endif -%}
    {%- endif -%}
{% endmacro %}

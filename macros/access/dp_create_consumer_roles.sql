{#- on-run-start: every consumer role a product policy names (and each owning domain's role) exists, NOLOGIN;
    the database's PUBLIC loses CONNECT and TEMP (each consumer role gets CONNECT). No-op but on PostgreSQL. -#}
{% macro dp_create_consumer_roles() %}
    {%- if execute and target.type == 'postgres' -%}
        {%- set roles = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- set policy = dp_access_policy(node) -%}
            {%- if policy -%}
                {%- for role in policy.readers if role not in roles -%}{%- do roles.append(role) -%}{%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set statements = [] -%}
        {%- for role in roles | sort -%}
            {%- do statements.append(
                "do $$ begin create role " ~ adapter.quote(role) ~ " nologin; "
                ~ "exception when duplicate_object then null; end $$") -%}
            {%- do statements.append("grant connect on database " ~ adapter.quote(target.dbname) ~ " to " ~ adapter.quote(role)) -%}
        {%- endfor -%}
        {%- do statements.append("revoke connect, temporary on database " ~ adapter.quote(target.dbname) ~ " from public") -%}
        {%- do run_query(statements | join(";\n")) -%}
    {%- endif -%}
{% endmacro %}

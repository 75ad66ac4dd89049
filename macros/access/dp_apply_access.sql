{#- post-hook of every model: on PostgreSQL a product version gets SELECT for its clear readers only, and
    when it has personal columns the view <alias>_masked (personal columns as typed NULL; a view runs with its
    owner's rights) with SELECT for its masked readers. Nothing for other models; a no-op on DuckDB. -#}
{% macro dp_apply_access() %}
    {%- if execute and target.type == 'postgres' -%}
        {%- set policy = dp_access_policy(model) -%}
        {%- if policy -%}
            {%- set statements = [] -%}
            {%- set masked_view = adapter.quote(this.schema) ~ "." ~ adapter.quote(this.identifier ~ "_masked") -%}
            {%- do statements.append("drop view if exists " ~ masked_view) -%}
            {%- if policy.personal -%}
                {%- set selected = [] -%}
                {%- for column in policy.columns -%}
                    {%- if column.personal -%}
                        {%- do selected.append("cast(null as " ~ column.data_type ~ ") as " ~ adapter.quote(column.name)) -%}
                    {%- else -%}
                        {%- do selected.append(adapter.quote(column.name)) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- do statements.append("create view " ~ masked_view ~ " as select " ~ selected | join(", ") ~ " from " ~ this) -%}
                {%- for role in policy.masked_readers -%}
                    {%- do statements.append("grant select on " ~ masked_view ~ " to " ~ adapter.quote(role)) -%}
                {%- endfor -%}
            {%- endif -%}
            {%- for role in policy.in_clear -%}
                {%- do statements.append("grant select on " ~ this ~ " to " ~ adapter.quote(role)) -%}
            {%- endfor -%}
            {{ statements | join(";\n") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

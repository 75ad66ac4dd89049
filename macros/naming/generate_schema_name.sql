{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- A custom schema is used verbatim, so a product's address is <domain>.<product>. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

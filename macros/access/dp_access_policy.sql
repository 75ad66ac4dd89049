{#- The access policy of one product node (its descriptor's `access`), resolved as `dp access` resolves it
    (src/dataproducts/governance/access.py): the owning domain's role (domain_<domain>) reads in clear,
    unmasked readers in clear, every other reader through `<alias>_masked` when the node has personal columns
    (the policy's personal_columns and every column marked meta.personal_data). None for a non-product. -#}
{% macro dp_access_policy(node) %}
    {%- set product = (node.config.meta or {}).get('data_product') -%}
    {%- if product is not mapping or node.resource_type != 'model' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set access = product.get('access') or {} -%}
    {%- set domain = product.get('domain') or node.config.group or node.group -%}
    {%- set own = 'domain_' ~ domain if domain else none -%}
    {%- set readers = [] -%}
    {%- set clear = [] -%}
    {%- if own -%}{%- do readers.append(own) -%}{%- do clear.append(own) -%}{%- endif -%}
    {%- for role in access.get('readers') or [] -%}
        {%- if role not in readers -%}{%- do readers.append(role) -%}{%- endif -%}
    {%- endfor -%}
    {%- for role in access.get('unmasked') or [] -%}
        {%- if role in readers and role not in clear -%}{%- do clear.append(role) -%}{%- endif -%}
    {%- endfor -%}
    {%- set listed = (access.get('personal_columns') or []) | map('lower') | list -%}
    {%- set columns = [] -%}
    {%- set personal = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set meta = column.meta or {} -%}
        {%- set is_personal = meta.get('personal_data') is true or (column.config is defined and column.config
            and (column.config.get('meta') or {}).get('personal_data') is true) or column.name | lower in listed -%}
        {%- do columns.append({'name': column.name, 'data_type': column.data_type, 'personal': is_personal}) -%}
        {%- if is_personal -%}{%- do personal.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
    {%- set masked = [] -%}
    {%- if personal -%}
        {%- for role in readers if role not in clear -%}{%- do masked.append(role) -%}{%- endfor -%}
    {%- else -%}
        {%- for role in readers if role not in clear -%}{%- do clear.append(role) -%}{%- endfor -%}
    {%- endif -%}
    {{ return({'in_clear': clear, 'masked_readers': masked, 'readers': readers, 'columns': columns, 'personal': personal}) }}
{% endmacro %}

{#- Postgres: `text` and `varchar` without a length are the same strings. A contracted incremental model's
    table has the contract's `varchar` columns while its new rows come from expressions such as trim() that
    return `text`: dbt's own comparison calls that a type change and `on_schema_change: fail` stops the build.
    Every other difference is still reported. Used through the `dbt` dispatch search order (opt-in, README). -#}
{% macro postgres__diff_column_data_types(source_columns, target_columns) -%}
    {%- set unbounded_strings = ['text', 'character varying'] -%}
    {%- set result = [] -%}
    {%- for sc in source_columns -%}
        {%- set tc = target_columns | selectattr('name', 'equalto', sc.name) | list | first -%}
        {%- if tc -%}
            {%- set same_strings = (
                sc.expanded_data_type | lower in unbounded_strings
                and tc.expanded_data_type | lower in unbounded_strings
            ) -%}
            {%- if sc.expanded_data_type != tc.expanded_data_type and not same_strings
                and not sc.can_expand_to(other_column=tc) -%}
                {%- do result.append({'column_name': tc.name, 'new_type': sc.expanded_data_type}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}

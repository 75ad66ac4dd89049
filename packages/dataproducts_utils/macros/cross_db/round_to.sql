{% macro round_to(expression, digits) -%}
    {{ return(adapter.dispatch('round_to', 'dataproducts_utils')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_to(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro postgres__round_to(expression, digits) -%}
    round(cast({{ expression }} as numeric), {{ digits }})
{%- endmacro %}

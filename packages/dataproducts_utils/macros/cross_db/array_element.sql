{% macro array_element(array, position) -%}
    {{ return(adapter.dispatch('array_element', 'dataproducts_utils')(array, position)) }}
{%- endmacro %}

{% macro default__array_element(array, position) -%}
    ({{ array }})[{{ position }}]
{%- endmacro %}

{% macro spark__array_element(array, position) -%}
    element_at({{ array }}, {{ position }})
{%- endmacro %}

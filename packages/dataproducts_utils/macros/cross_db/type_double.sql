{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'dataproducts_utils')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

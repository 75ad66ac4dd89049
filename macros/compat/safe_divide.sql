{% macro safe_divide(numerator, denominator) -%}
    {{ return(dataproducts_utils.safe_divide(numerator, denominator)) }}
{%- endmacro %}

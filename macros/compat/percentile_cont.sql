{% macro percentile_cont(expression, fraction) -%}
    {{ return(dataproducts_utils.percentile_cont(expression, fraction)) }}
{%- endmacro %}

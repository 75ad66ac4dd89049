{% macro percentiles_cont(expression, fractions) -%}
    {{ return(adapter.dispatch('percentiles_cont', 'dataproducts_utils')(expression, fractions)) }}
{%- endmacro %}

{% macro default__percentiles_cont(expression, fractions) -%}
    percentile_cont(array[{{ fractions | join(', ') }}]) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentiles_cont(expression, fractions) -%}
    percentile({{ expression }}, array({{ fractions | join(', ') }}))
{%- endmacro %}

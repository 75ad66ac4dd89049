{% macro to_eur(amount, rate='rate_to_eur') -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(12, 2))
{%- endmacro %}

{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'dataproducts_utils')(model, expression, column_name)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name=none) %}
{#- Returns the rows for which `expression` (prefixed with the column when attached to one) is not true. -#}
with

final as (

    select *
    from {{ model }}
    {%- if column_name is not none %}
        where not coalesce({{ column_name }} {{ expression }}, false)
    {%- else %}
        where not coalesce({{ expression }}, false)
    {%- endif %}

)

select * from final
{% endmacro %}

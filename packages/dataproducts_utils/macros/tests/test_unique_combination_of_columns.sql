{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ return(adapter.dispatch('test_unique_combination_of_columns', 'dataproducts_utils')(model, combination_of_columns)) }}
{% endtest %}

{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
{#- Returns each combination of `combination_of_columns` that occurs more than once. -#}
{%- set columns_csv = combination_of_columns | join(', ') %}
with

final as (

    select
        {{ columns_csv }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

)

select * from final
{% endmacro %}

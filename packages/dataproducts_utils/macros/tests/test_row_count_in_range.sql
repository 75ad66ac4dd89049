{% test row_count_in_range(model, min_value=none, max_value=none) %}
    {{ return(adapter.dispatch('test_row_count_in_range', 'dataproducts_utils')(model, min_value, max_value)) }}
{% endtest %}

{% macro default__test_row_count_in_range(model, min_value=none, max_value=none) %}
{#- Fails (one row) when the model's row count is below `min_value` or above `max_value`. -#}
with

counted as (

    select count(*) as row_count
    from {{ model }}

),

final as (

    select row_count
    from counted
    where
        1 = 0
        {%- if min_value is not none %}
            or row_count < {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
            or row_count > {{ max_value }}
        {%- endif %}

)

select * from final
{% endmacro %}

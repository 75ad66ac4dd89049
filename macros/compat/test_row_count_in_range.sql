{% test row_count_in_range(model, min_value=none, max_value=none) %}
    {{ return(dataproducts_utils.test_row_count_in_range(model, min_value, max_value)) }}
{% endtest %}

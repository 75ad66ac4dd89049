{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ return(dataproducts_utils.test_unique_combination_of_columns(model, combination_of_columns)) }}
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(dataproducts_utils.test_expression_is_true(model, expression, column_name)) }}
{% endtest %}

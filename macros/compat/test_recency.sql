{% test recency(model, field, datepart, interval) %}
    {{ return(dataproducts_utils.test_recency(model, field, datepart, interval)) }}
{% endtest %}

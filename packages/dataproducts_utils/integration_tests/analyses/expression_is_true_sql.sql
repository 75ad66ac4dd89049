-- The SQL of the generic test `expression_is_true` on a column, rendered so that sqlfluff lints it.
{{ dataproducts_utils.test_expression_is_true(ref('events_checked'), '>= 1', 'quantity') }}

-- The SQL of the generic test `unique_combination_of_columns`, rendered so that sqlfluff lints it.
{{ dataproducts_utils.test_unique_combination_of_columns(ref('events_checked'), ['category', 'occurred_at']) }}

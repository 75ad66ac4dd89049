-- The SQL of the generic test `row_count_in_range`, rendered so that sqlfluff lints it.
{{ dataproducts_utils.test_row_count_in_range(ref('events_checked'), 1, 10) }}

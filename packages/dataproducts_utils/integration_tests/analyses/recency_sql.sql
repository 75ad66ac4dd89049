-- The SQL of the generic test `recency`, rendered so that sqlfluff lints it (`dbt compile` shows it).
{{ dataproducts_utils.test_recency(ref('events_checked'), 'occurred_at', 'hour', 8) }}

{#- The ledger on Spark: a hook runs one statement at a time there, and a Parquet table takes no DELETE or
    UPDATE, so each invocation is one row, inserted whole by the on-run-end hook (the start hook only makes
    sure the table exists). An invocation that dies before its end leaves no row, as none that finished. -#}
{% macro spark__dp_record_invocation(phase, results=none) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run', 'seed', 'snapshot', 'test'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set ledger = 'dp_meta.dbt_invocations' -%}
    {%- if phase == 'start' -%}
        {%- do run_query('create schema if not exists dp_meta') -%}
        {%- do run_query(
            'create table if not exists ' ~ ledger ~ ' (invocation_id string, command string, '
            ~ 'started_at timestamp, finished_at timestamp, payload string) using parquet'
        ) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for r in results -%}
        {%- do rows.append({
            'unique_id': r.node.unique_id,
            'status': r.status | string,
            'message': r.message,
            'failures': r.failures,
            'execution_time': r.execution_time,
        }) -%}
    {%- endfor -%}
    {%- set args = {} -%}
    {%- for key in ['which', 'vars', 'select', 'exclude', 'selector', 'invocation_command'] -%}
        {%- if key in invocation_args_dict -%}{%- do args.update({key: invocation_args_dict[key]}) -%}{%- endif -%}
    {%- endfor -%}
    {%- set payload = tojson({
        'invocation_id': invocation_id,
        'command': flags.WHICH,
        'args': args,
        'dbt_version': dbt_version,
        'run_started_at': run_started_at.isoformat(),
        'results': rows,
    }) -%}
    {#- a Spark string literal: backslashes and single quotes escaped -#}
    {%- set literal = payload | replace('\\', '\\\\') | replace("'", "\\'") -%}
    insert into {{ ledger }} values (
        '{{ invocation_id }}',
        '{{ flags.WHICH }}',
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
        cast('{{ modules.datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
        '{{ literal }}'
    )
{%- endmacro %}

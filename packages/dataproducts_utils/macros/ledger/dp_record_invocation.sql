{#- The invocation ledger: dbt runs by hand leave their results where `dp` can find them after
    `dbt docs generate` or `dbt compile` has replaced target/run_results.json (docs/runs.md). -#}
{% macro dp_record_invocation(phase, results=none) -%}
    {{ return(adapter.dispatch('dp_record_invocation', 'dataproducts_utils')(phase, results)) }}
{%- endmacro %}

{% macro default__dp_record_invocation(phase, results=none) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run', 'seed', 'snapshot', 'test'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set ledger = 'dp_meta.dbt_invocations' -%}
    {%- if phase == 'start' -%}
        create schema if not exists dp_meta;
        create table if not exists {{ ledger }} (
            invocation_id varchar not null,
            command varchar not null,
            started_at timestamp not null,
            finished_at timestamp,
            payload varchar
        );
        delete from {{ ledger }} where invocation_id = '{{ invocation_id }}';
        insert into {{ ledger }} (invocation_id, command, started_at)
        values ('{{ invocation_id }}', '{{ flags.WHICH }}', cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp));
    {%- else -%}
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
        update {{ ledger }}
        set finished_at = cast('{{ modules.datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp),
            payload = '{{ payload | replace("'", "''") }}'
        where invocation_id = '{{ invocation_id }}';
    {%- endif -%}
{%- endmacro %}

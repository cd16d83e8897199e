{# Which detail lines each line of a statement adds up: a line itself, a group its sub-lines
   (codes below it, e.g. PL05 -> PL05.A.1), a total every line from total_from_sort up to it.
   A cross join and a filter: BigQuery joins outer only on equalities. #}
{% macro statement_rollup(lines) -%}
    select target.line_code as target_code, detail.line_code as detail_code
    from {{ lines }} as target
    cross join {{ lines }} as detail
    where detail.kind = 'line'
        and (
            (target.kind = 'line' and detail.line_code = target.line_code)
            or (target.kind = 'group'
                and substr(detail.line_code, 1, length(target.line_code) + 1)
                = concat(target.line_code, '.'))
            or (target.kind = 'total'
                and detail.sort >= target.total_from_sort and detail.sort < target.sort)
        )
{%- endmacro %}

{# The ageing bucket of a number of days past due (NULL: no due date, counted as not due). #}
{% macro ageing_bucket(days) -%}
    case
        when {{ days }} is null or {{ days }} <= 0 then 'not due'
        when {{ days }} <= 30 then '1-30'
        when {{ days }} <= 60 then '31-60'
        when {{ days }} <= 90 then '61-90'
        else 'over 90'
    end
{%- endmacro %}

{% macro ageing_bucket_sort(days) -%}
    case
        when {{ days }} is null or {{ days }} <= 0 then 0
        when {{ days }} <= 30 then 1
        when {{ days }} <= 60 then 2
        when {{ days }} <= 90 then 3
        else 4
    end
{%- endmacro %}

{# Netvisor's balance (accountbalance.nv) of a default account (default_accounts role) at each
   report month end, times `sign`. #}
{% macro control_account_at_month_ends(role, sign=1) -%}
    select b.balance_date as month_end, {{ sign }} * b.balance as balance
    from {{ source('netvisor', 'account_balances') }} as b
    inner join {{ source('netvisor', 'accounts') }} as a on a.account_key = b.account_key
    inner join {{ source('netvisor', 'default_accounts') }} as d
        on d.account_number = a.account_number and d.role = '{{ role }}'
    inner join {{ ref('report_months') }} as m on m.month_end = b.balance_date
{%- endmacro %}

{# Accounts matched to the inclusive account-number ranges of a mapping seed. #}
{% macro in_account_range(number, mapping) -%}
    {{ number }} between cast({{ mapping }}.account_from as {{ api.Column.translate_type('bigint') }})
        and cast({{ mapping }}.account_to as {{ api.Column.translate_type('bigint') }})
{%- endmacro %}

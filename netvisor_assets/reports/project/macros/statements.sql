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

{# Every line of a statement (`lines`: its rows of statement_lines) at every report month, with
   the sum of the `detail_amounts` (month_start, line_code, amount) its rollup covers, 0 where
   none. The P&L and the balance sheet differ only in the detail amounts they feed in. #}
{% macro statement_by_month(lines, detail_amounts) -%}
    select
        m.month_start,
        m.month_end,
        m.fiscal_year,
        m.fiscal_year_start,
        m.is_complete,
        l.line_code,
        l.sort,
        l.level,
        l.kind,
        l.name_fi,
        l.name_en,
        coalesce(a.amount, 0) as amount
    from {{ ref('report_months') }} as m
    cross join {{ lines }} as l
    left join (
        select r.target_code as line_code, d.month_start, sum(d.amount) as amount
        from ({{ statement_rollup(lines) }}) as r
        inner join {{ detail_amounts }} as d on d.line_code = r.detail_code
        group by r.target_code, d.month_start
    ) as a on a.line_code = l.line_code and a.month_start = m.month_start
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

{# The ageing of a control account (AR, AP) at every report month end: one row per month end
   and invoice with an open amount, aged from the invoice's due date. `lines` are the account's
   ledger lines (voucher_date, amount positive for the open side, `invoice_key`: the invoice a
   line belongs to, NULL for a line not linked to one, so the total still ties to the account);
   `invoices` has `invoice_key` and the `invoice_columns` shown, due_date among them. What AR and
   AP differ in (the account, the sign, which invoice a line belongs to) stays in the model. #}
{% macro ageing_at_month_ends(lines, invoices, invoice_key, invoice_columns) -%}
    select
        *,
        {{ ageing_bucket('days_past_due') }} as ageing_bucket,
        {{ ageing_bucket_sort('days_past_due') }} as bucket_sort
    from (
        select
            o.month_end,
            o.{{ invoice_key }},
            {%- for column in invoice_columns %}
            i.{{ column }},
            {%- endfor %}
            o.open_amount,
            {{ days_between('i.due_date', 'o.month_end') }} as days_past_due
        from (
            -- Open at a month end: everything dated up to it.
            select m.month_end, l.{{ invoice_key }}, sum(l.amount) as open_amount
            from {{ ref('report_months') }} as m
            inner join {{ lines }} as l on l.voucher_date <= m.month_end
            group by m.month_end, l.{{ invoice_key }}
        ) as o
        left join {{ invoices }} as i on i.{{ invoice_key }} = o.{{ invoice_key }}
        where o.open_amount <> 0
    ) as aged
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

{# A singular test's rows: the month ends where an ageing model's total open amount differs
   from Netvisor's balance of its control account (see control_account_at_month_ends). #}
{% macro ageing_ties_to_control_account(model, role, sign=1) -%}
    with control as (
        {{ control_account_at_month_ends(role, sign) }}
    ),

    ageing as (
        select month_end, sum(open_amount) as open_amount
        from {{ model }}
        group by month_end
    )

    select c.month_end, c.balance, coalesce(a.open_amount, 0) as ageing_total
    from control as c
    left join ageing as a on a.month_end = c.month_end
    where c.balance <> coalesce(a.open_amount, 0)
{%- endmacro %}

{# Accounts matched to the inclusive account-number ranges of a mapping seed. #}
{% macro in_account_range(number, mapping) -%}
    {{ number }} between cast({{ mapping }}.account_from as {{ api.Column.translate_type('bigint') }})
        and cast({{ mapping }}.account_to as {{ api.Column.translate_type('bigint') }})
{%- endmacro %}

{# Each account of `accounts` (account_key, account_int) whose number falls in a range of the
   `mapping` seed, with the smallest `column` of the ranges it falls in (as `alias`): ranges may
   overlap, and the smallest keeps the choice the same on every run. #}
{% macro first_in_account_range(accounts, mapping, column, alias=none) -%}
    select a.account_key, min(m.{{ column }}) as {{ alias or column }}
    from {{ accounts }} as a
    inner join {{ mapping }} as m
        on {{ in_account_range('a.account_int', 'm') }}
    group by a.account_key
{%- endmacro %}

-- The income statement per month in the expense-based layout of Kirjanpitoasetus 1:1
-- (kululajikohtainen tuloslaskelma), one row per month and statement line. Income is
-- positive, expenses negative, as the statutory statement shows them. Group lines sum their
-- sub-lines; total lines (LIIKEVOITTO, ..., TILIKAUDEN VOITTO) sum every line above them.
-- Result-transfer vouchers (closing a year into retained earnings) are not performance and
-- are left out.
with months as (
    select month_start, month_end, fiscal_year, fiscal_year_start, is_complete
    from {{ ref('report_months') }}
),

lines as (
    select * from {{ ref('statement_lines') }} where statement = 'pnl'
),

rollup as (
    {{ statement_rollup('lines') }}
),

detail_amounts as (
    select month_start, line_code, -sum(amount) as amount
    from {{ ref('general_ledger') }}
    where statement = 'pnl' and not is_result_transfer
    group by month_start, line_code
),

line_amounts as (
    select r.target_code as line_code, d.month_start, sum(d.amount) as amount
    from rollup as r
    inner join detail_amounts as d on d.line_code = r.detail_code
    group by r.target_code, d.month_start
),

monthly as (
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
    from months as m
    cross join lines as l
    left join line_amounts as a on a.line_code = l.line_code and a.month_start = m.month_start
)

select
    *,
    sum(amount) over (
        partition by line_code, fiscal_year_start order by month_start
        rows between unbounded preceding and current row
    ) as amount_year_to_date
from monthly

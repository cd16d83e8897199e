-- The income statement per month in the expense-based layout of Kirjanpitoasetus 1:1
-- (kululajikohtainen tuloslaskelma), one row per month and statement line. Income is
-- positive, expenses negative, as the statutory statement shows them. Group lines sum their
-- sub-lines; total lines (LIIKEVOITTO, ..., TILIKAUDEN VOITTO) sum every line above them.
-- Result-transfer vouchers (closing a year into retained earnings) are not performance and
-- are left out.
with lines as (
    select * from {{ ref('statement_lines') }} where statement = 'pnl'
),

detail_amounts as (
    select month_start, line_code, -sum(amount) as amount
    from {{ ref('general_ledger') }}
    where statement = 'pnl' and not is_result_transfer
    group by month_start, line_code
),

-- Every line at every month, rolled up from the detail amounts (statements.sql).
monthly as (
    {{ statement_by_month('lines', 'detail_amounts') }}
)

select
    *,
    sum(amount) over (
        partition by line_code, fiscal_year_start order by month_start
        rows between unbounded preceding and current row
    ) as amount_year_to_date
from monthly

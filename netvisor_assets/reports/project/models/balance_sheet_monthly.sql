-- The balance sheet at each month end in the layout of Kirjanpitoasetus 1:6, one row per month
-- and statement line; assets and equity-and-liabilities both positive. The period's result is
-- computed from the income statement accounts, so the balance sheet balances before the books
-- are closed: "Tilikauden voitto" is this fiscal year's result to the month end, "Edellisten
-- tilikausien voitto" also holds earlier years' results not yet transferred by a closing entry.
with months as (
    select month_start from {{ ref('report_months') }}
),

lines as (
    select * from {{ ref('statement_lines') }} where statement = 'bs'
),

tb as (
    select month_start, line_code, statement, closing_balance
    from {{ ref('trial_balance_monthly') }}
),

account_lines as (
    select
        month_start,
        line_code,
        sum(case when substr(line_code, 1, 2) = 'BA' then closing_balance else -closing_balance end)
            as amount
    from tb
    where statement = 'bs'
    group by month_start, line_code
),

-- All income statement accounts at the month end (credit positive), and this fiscal year's
-- part of it (result transfers excluded: they belong to the year they close).
income_accounts as (
    select month_start, -sum(closing_balance) as amount
    from tb
    where statement = 'pnl'
    group by month_start
),

period_result as (
    select month_start, amount_year_to_date as amount
    from {{ ref('profit_and_loss_monthly') }}
    where line_code = 'PL15'
),

computed as (
    select m.month_start, 'BL.A.7' as line_code, coalesce(pr.amount, 0) as amount
    from months as m
    left join period_result as pr on pr.month_start = m.month_start
    union all
    select m.month_start, 'BL.A.6' as line_code,
        coalesce(ia.amount, 0) - coalesce(pr.amount, 0) as amount
    from months as m
    left join income_accounts as ia on ia.month_start = m.month_start
    left join period_result as pr on pr.month_start = m.month_start
),

detail_amounts as (
    select month_start, line_code, sum(amount) as amount
    from (
        select month_start, line_code, amount from account_lines
        union all
        select month_start, line_code, amount from computed
    ) as parts
    group by month_start, line_code
),

-- Every line at every month, rolled up from the detail amounts (statements.sql).
monthly as (
    {{ statement_by_month('lines', 'detail_amounts') }}
)

select
    s.month_start,
    s.month_end,
    s.fiscal_year,
    s.is_complete,
    s.line_code,
    s.sort,
    s.level,
    s.kind,
    s.name_fi,
    s.name_en,
    -- A heading has no amount.
    case when s.kind = 'heading' then null else s.amount end as amount,
    coalesce(c.amount, 0) as computed_amount
from monthly as s
left join computed as c on c.line_code = s.line_code and c.month_start = s.month_start

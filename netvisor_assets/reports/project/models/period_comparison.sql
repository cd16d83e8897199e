-- Each P&L line for the month, quarter to date and fiscal year to date against the same period
-- a year earlier, with the change in euros and per cent (of the earlier amount's size).
with pnl as (
    select month_start, fiscal_year, fiscal_year_start, line_code, sort, level, kind, name_fi,
        name_en, amount, amount_year_to_date
    from {{ ref('profit_and_loss_monthly') }}
    where kind <> 'heading'
),

with_quarter as (
    select
        *,
        sum(amount) over (
            partition by line_code, {{ quarter_start('month_start') }} order by month_start
            rows between unbounded preceding and current row
        ) as amount_quarter_to_date
    from pnl
)

select
    c.month_start,
    c.fiscal_year,
    c.line_code,
    c.sort,
    c.level,
    c.kind,
    c.name_fi,
    c.name_en,
    c.amount as month_amount,
    p.amount as month_amount_prior_year,
    c.amount_quarter_to_date as quarter_to_date,
    p.amount_quarter_to_date as quarter_to_date_prior_year,
    c.amount_year_to_date as year_to_date,
    p.amount_year_to_date as year_to_date_prior_year,
    c.amount_year_to_date - p.amount_year_to_date as year_to_date_change,
    case
        when p.amount_year_to_date is null or p.amount_year_to_date = 0 then null
        else round(100 * (c.amount_year_to_date - p.amount_year_to_date)
            / abs(p.amount_year_to_date), 1)
    end as year_to_date_change_percent
from with_quarter as c
left join with_quarter as p
    on p.line_code = c.line_code and p.month_start = {{ add_months('c.month_start', -12) }}

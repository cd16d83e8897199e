{{ config(meta={'dagster': {'ref': {'name': 'cash_flow_monthly'}}}) }}
-- Each month's cash flow equals the month's net movement on the cash and bank accounts.
with cash as (
    select month_start, sum(amount) as change
    from {{ ref('general_ledger') }}
    where is_cash
    group by month_start
),

flow as (
    select month_start, sum(amount) as amount from {{ ref('cash_flow_monthly') }}
    group by month_start
)

select c.month_start, c.change, coalesce(f.amount, 0) as cash_flow
from cash as c
left join flow as f on f.month_start = c.month_start
where c.change <> coalesce(f.amount, 0)

{{ config(meta={'dagster': {'ref': {'name': 'balance_sheet_monthly'}}}) }}
-- Each month's result on the P&L equals the change of the balance sheet's computed period
-- result since the previous month end (in a fiscal year's first month: the result itself).
with bs as (
    select month_start, fiscal_year, computed_amount
    from {{ ref('balance_sheet_monthly') }}
    where line_code = 'BL.A.7'
),

changes as (
    select
        month_start,
        computed_amount - coalesce(lag(computed_amount) over (
            partition by fiscal_year order by month_start), 0) as change
    from bs
)

select c.month_start, c.change, p.amount as pnl_result
from changes as c
inner join {{ ref('profit_and_loss_monthly') }} as p
    on p.month_start = c.month_start and p.line_code = 'PL15'
where c.change <> p.amount

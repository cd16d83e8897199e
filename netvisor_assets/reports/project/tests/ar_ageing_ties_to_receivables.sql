{{ config(meta={'dagster': {'ref': {'name': 'ar_ageing'}}}) }}
-- The AR ageing total equals the receivables account's closing balance at every month end.
with control as (
    select t.month_end, t.closing_balance
    from {{ ref('trial_balance_monthly') }} as t
    inner join {{ source('netvisor', 'default_accounts') }} as d
        on d.account_number = t.account_number and d.role = 'salesreceivables'
),

ageing as (
    select month_end, sum(open_amount) as open_amount
    from {{ ref('ar_ageing') }}
    group by month_end
)

select c.month_end, c.closing_balance, coalesce(a.open_amount, 0) as ageing_total
from control as c
left join ageing as a on a.month_end = c.month_end
where c.closing_balance <> coalesce(a.open_amount, 0)

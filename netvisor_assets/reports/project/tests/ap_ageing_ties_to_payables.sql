{{ config(meta={'dagster': {'ref': {'name': 'ap_ageing'}}}) }}
-- The AP ageing total equals the payables account's balance (as a positive debt) at every
-- month end.
with control as (
    select t.month_end, -t.closing_balance as owed
    from {{ ref('trial_balance_monthly') }} as t
    inner join {{ source('netvisor', 'default_accounts') }} as d
        on d.account_number = t.account_number and d.role = 'tradepayables'
),

ageing as (
    select month_end, sum(open_amount) as open_amount
    from {{ ref('ap_ageing') }}
    group by month_end
)

select c.month_end, c.owed, coalesce(a.open_amount, 0) as ageing_total
from control as c
left join ageing as a on a.month_end = c.month_end
where c.owed <> coalesce(a.open_amount, 0)

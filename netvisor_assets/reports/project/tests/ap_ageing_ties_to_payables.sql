{{ config(meta={'dagster': {'ref': {'name': 'ap_ageing'}}}) }}
-- The AP ageing total equals Netvisor's own balance of the payables account (as a positive
-- debt) at every month end it has a balance for.
with control as (
    select b.balance_date as month_end, -b.balance as owed
    from {{ source('netvisor', 'account_balances') }} as b
    inner join {{ source('netvisor', 'accounts') }} as a on a.account_key = b.account_key
    inner join {{ source('netvisor', 'default_accounts') }} as d
        on d.account_number = a.account_number and d.role = 'tradepayables'
    inner join {{ ref('report_months') }} as m on m.month_end = b.balance_date
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

{{ config(meta={'dagster': {'ref': {'name': 'ap_ageing'}}}) }}
-- The AP ageing total equals Netvisor's own balance of the payables account (as a positive
-- debt) at every month end it has a balance for.
with control as (
    {{ control_account_at_month_ends('tradepayables', -1) }}
),

ageing as (
    select month_end, sum(open_amount) as open_amount
    from {{ ref('ap_ageing') }}
    group by month_end
)

select c.month_end, c.balance, coalesce(a.open_amount, 0) as ageing_total
from control as c
left join ageing as a on a.month_end = c.month_end
where c.balance <> coalesce(a.open_amount, 0)

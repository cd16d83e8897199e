{{ config(meta={'dagster': {'ref': {'name': 'ar_ageing'}}}) }}
-- The AR ageing total equals Netvisor's own balance of the receivables account
-- (accountbalance.nv) at every month end it has a balance for. Reads only what ar_ageing is
-- built from, so it can run in any run that builds ar_ageing.
with control as (
    {{ control_account_at_month_ends('salesreceivables', 1) }}
),

ageing as (
    select month_end, sum(open_amount) as open_amount
    from {{ ref('ar_ageing') }}
    group by month_end
)

select c.month_end, c.balance, coalesce(a.open_amount, 0) as ageing_total
from control as c
left join ageing as a on a.month_end = c.month_end
where c.balance <> coalesce(a.open_amount, 0)

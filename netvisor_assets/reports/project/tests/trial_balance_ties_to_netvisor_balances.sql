{{ config(meta={'dagster': {'ref': {'name': 'trial_balance_monthly'}}}) }}
-- The closing balance from the synced voucher lines equals Netvisor's own balance
-- (accountbalance.nv) for every account at every month end Netvisor has a balance for.
select month_end, account_number, closing_balance, netvisor_balance
from {{ ref('trial_balance_monthly') }}
where netvisor_balance is not null and closing_balance <> netvisor_balance

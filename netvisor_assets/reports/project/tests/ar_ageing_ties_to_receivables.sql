{{ config(meta={'dagster': {'ref': {'name': 'ar_ageing'}}}) }}
-- The AR ageing total equals Netvisor's own balance of the receivables account
-- (accountbalance.nv) at every month end it has a balance for. Reads only what ar_ageing is
-- built from, so it can run in any run that builds ar_ageing.
{{ ageing_ties_to_control_account(ref('ar_ageing'), 'salesreceivables', 1) }}

{{ config(meta={'dagster': {'ref': {'name': 'ap_ageing'}}}) }}
-- The AP ageing total equals Netvisor's own balance of the payables account (as a positive
-- debt) at every month end it has a balance for.
{{ ageing_ties_to_control_account(ref('ap_ageing'), 'tradepayables', -1) }}

{{ config(meta={'dagster': {'ref': {'name': 'general_ledger'}}}) }}
-- Every account with postings has a statement line (account_mapping or its overrides) and a
-- cash-flow category; an unmapped account would drop out of the statements.
select a.account_number, a.account_name, a.line_code, a.cash_flow_sort
from {{ ref('accounts_mapped') }} as a
where (a.line_code is null or a.statement is null or (a.cash_flow_sort is null and not a.is_cash))
    and exists (
        select 1 from {{ ref('general_ledger') }} as l
        where l.account_number = a.account_number
    )

{{ config(meta={'dagster': {'ref': {'name': 'balance_sheet_monthly'}}}) }}
-- Total assets equal total equity and liabilities at every month end.
select a.month_end, a.amount as assets, l.amount as equity_and_liabilities
from {{ ref('balance_sheet_monthly') }} as a
inner join {{ ref('balance_sheet_monthly') }} as l
    on l.month_end = a.month_end and l.line_code = 'BL.T'
where a.line_code = 'BA.T' and a.amount <> l.amount

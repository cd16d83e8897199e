-- Cash flow by the direct method: each month's movements on the cash and bank accounts
-- (statement line "Rahat ja pankkisaamiset"), attributed to the other lines of the same voucher
-- by their account's cash-flow category (cash_flow_mapping seed). Receipts are positive. A
-- voucher's cash lines equal minus its other lines, so the categories add up to the change in
-- cash; transfers between two cash accounts net to nothing.
with gl as (
    select voucher_key, month_start, account_number, amount, is_cash
    from {{ ref('general_ledger') }}
),

cash_vouchers as (
    select distinct voucher_key from gl where is_cash
),

counterparts as (
    select g.month_start, a.cash_flow_activity, a.cash_flow_sort, a.cash_flow_category_fi,
        a.cash_flow_category_en, g.amount
    from gl as g
    inner join cash_vouchers as c on c.voucher_key = g.voucher_key
    left join {{ ref('accounts_mapped') }} as a on a.account_number = g.account_number
    where not coalesce(g.is_cash, false)
)

select
    month_start,
    coalesce(cash_flow_activity, 'unmapped') as activity,
    coalesce(cash_flow_sort, 999) as sort,
    coalesce(cash_flow_category_fi, 'Kohdistamaton') as category_fi,
    coalesce(cash_flow_category_en, 'Unmapped') as category_en,
    -sum(amount) as amount
from counterparts
group by 1, 2, 3, 4, 5

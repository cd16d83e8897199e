-- Open purchase invoices at each month end by age, as ar_ageing: one row per month end and
-- invoice with an open amount on the payables account (Netvisor's default account
-- `tradepayables`), positive for what the company owes. Payable lines of vouchers not linked
-- to a purchase invoice are one row without an invoice, so the total ties to the account.
with months as (
    select month_end from {{ ref('report_months') }}
),

payables as (
    select account_number from {{ source('netvisor', 'default_accounts') }}
    where role = 'tradepayables'
),

invoices as (
    select purchase_invoice_key, purchase_invoice_number, purchase_invoice_date, due_date,
        vendor_key, vendor_name
    from {{ source('netvisor', 'purchase_invoices') }}
),

lines as (
    select
        g.voucher_date,
        -g.amount as amount,
        case when g.linked_source_type = 'purchaseinvoice' then g.linked_source_key end
            as purchase_invoice_key
    from {{ ref('general_ledger') }} as g
    inner join payables as p on p.account_number = g.account_number
),

open_items as (
    select m.month_end, l.purchase_invoice_key, sum(l.amount) as open_amount
    from months as m
    inner join lines as l on l.voucher_date <= m.month_end
    group by m.month_end, l.purchase_invoice_key
),

aged as (
    select
        o.month_end,
        o.purchase_invoice_key,
        i.purchase_invoice_number,
        i.purchase_invoice_date,
        i.due_date,
        i.vendor_key,
        i.vendor_name,
        o.open_amount,
        {{ days_between('i.due_date', 'o.month_end') }} as days_past_due
    from open_items as o
    left join invoices as i on i.purchase_invoice_key = o.purchase_invoice_key
    where o.open_amount <> 0
)

select
    *,
    {{ ageing_bucket('days_past_due') }} as ageing_bucket,
    {{ ageing_bucket_sort('days_past_due') }} as bucket_sort
from aged

-- Open sales invoices at each month end by age: one row per month end and invoice with an
-- open amount, in buckets not due / 1-30 / 31-60 / 61-90 / over 90 days past due. The open
-- amount is what the ledger still holds on the receivables account (Netvisor's default
-- account `salesreceivables`) for the invoice: the invoice less its payments, cash discounts,
-- exchange differences and credit notes dated up to the month end. Receivable lines of
-- vouchers not linked to an invoice are one row without an invoice, so the total always ties
-- to the account.
with months as (
    select month_end from {{ ref('report_months') }}
),

receivables as (
    select account_number from {{ source('netvisor', 'default_accounts') }}
    where role = 'salesreceivables'
),

invoices as (
    select
        sales_invoice_key,
        sales_invoice_number,
        sales_invoice_date,
        due_date,
        customer_key,
        customer_name,
        currency_code,
        -- A credit note belongs to the invoice it credits.
        coalesce(credited_invoice_key, sales_invoice_key) as group_key
    from {{ source('netvisor', 'sales_invoices') }}
),

lines as (
    select
        g.voucher_date,
        g.amount,
        case when g.linked_source_type = 'salesinvoice' then i.group_key end as group_key
    from {{ ref('general_ledger') }} as g
    inner join receivables as r on r.account_number = g.account_number
    left join invoices as i
        on g.linked_source_type = 'salesinvoice' and i.sales_invoice_key = g.linked_source_key
),

open_items as (
    select m.month_end, l.group_key, sum(l.amount) as open_amount
    from months as m
    inner join lines as l on l.voucher_date <= m.month_end
    group by m.month_end, l.group_key
),

aged as (
    select
        o.month_end,
        o.group_key as sales_invoice_key,
        i.sales_invoice_number,
        i.sales_invoice_date,
        i.due_date,
        i.customer_key,
        i.customer_name,
        i.currency_code,
        o.open_amount,
        {{ days_between('i.due_date', 'o.month_end') }} as days_past_due
    from open_items as o
    left join invoices as i on i.sales_invoice_key = o.group_key
    where o.open_amount <> 0
)

select
    *,
    {{ ageing_bucket('days_past_due') }} as ageing_bucket,
    {{ ageing_bucket_sort('days_past_due') }} as bucket_sort
from aged

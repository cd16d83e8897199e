-- Open sales invoices at each month end by age: one row per month end and invoice with an
-- open amount, in buckets not due / 1-30 / 31-60 / 61-90 / over 90 days past due. The open
-- amount is what the ledger still holds on the receivables account (Netvisor's default
-- account `salesreceivables`) for the invoice: the invoice less its payments, cash discounts,
-- exchange differences and credit notes dated up to the month end. Receivable lines of
-- vouchers not linked to an invoice are one row without an invoice, so the total always ties
-- to the account.
with receivables as (
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

-- sales_invoice_key: the invoice a line's amount is open on (a credit note's: the credited one).
lines as (
    select
        g.voucher_date,
        g.amount,
        case when g.linked_source_type = 'salesinvoice' then i.group_key end as sales_invoice_key
    from {{ ref('general_ledger') }} as g
    inner join receivables as r on r.account_number = g.account_number
    left join invoices as i
        on g.linked_source_type = 'salesinvoice' and i.sales_invoice_key = g.linked_source_key
)

-- Open amounts by month end and invoice, aged and bucketed (statements.sql).
{{ ageing_at_month_ends('lines', 'invoices', 'sales_invoice_key', [
    'sales_invoice_number', 'sales_invoice_date', 'due_date', 'customer_key', 'customer_name',
    'currency_code',
]) }}

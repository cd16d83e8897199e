-- Open purchase invoices at each month end by age, as ar_ageing: one row per month end and
-- invoice with an open amount on the payables account (Netvisor's default account
-- `tradepayables`), positive for what the company owes. Payable lines of vouchers not linked
-- to a purchase invoice are one row without an invoice, so the total ties to the account.
with payables as (
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
)

-- Open amounts by month end and invoice, aged and bucketed as ar_ageing (statements.sql).
{{ ageing_at_month_ends('lines', 'invoices', 'purchase_invoice_key', [
    'purchase_invoice_number', 'purchase_invoice_date', 'due_date', 'vendor_key', 'vendor_name',
]) }}

-- One row per valid voucher line: the voucher, the account with its group path and statement
-- line, debit and credit. Invalidated lines (a corrected document's old version) are left out,
-- as Netvisor's own balances leave them out. Older responses carry no status on the line or
-- the voucher: such a line is valid (the client keeps the status NULL as Netvisor sent it).
with lines as (
    select * from {{ source('netvisor', 'voucher_lines') }}
),

vouchers as (
    select * from {{ source('netvisor', 'vouchers') }}
),

accounts as (
    select * from {{ ref('accounts_mapped') }}
)

select
    l.voucher_key,
    l.line_position,
    l.voucher_date,
    {{ month_start('l.voucher_date') }} as month_start,
    v.voucher_number,
    v.voucher_class,
    {{ voucher_type('v.voucher_class') }} as voucher_type,
    v.voucher_description,
    l.description as line_description,
    l.account_number,
    a.account_name,
    a.account_group_path,
    a.statement,
    a.line_code,
    a.is_cash,
    l.line_sum as amount,
    case when l.line_sum > 0 then l.line_sum else 0 end as debit,
    case when l.line_sum < 0 then -l.line_sum else 0 end as credit,
    l.vat_percent,
    l.vat_code,
    l.dimensions,
    v.linked_source_type,
    v.linked_source_key,
    coalesce({{ voucher_type('v.voucher_class') }} = '{{ var("result_transfer_voucher_type") }}', false)
        as is_result_transfer
from lines as l
inner join vouchers as v on v.voucher_key = l.voucher_key
left join accounts as a on a.account_number = l.account_number
where coalesce(l.status, v.status, 'valid') = 'valid'

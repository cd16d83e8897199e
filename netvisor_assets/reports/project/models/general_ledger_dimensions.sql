-- Bridge: one row per voucher line and dimension (a line with a cost centre and a project has
-- two rows). Sum `amount` within one dimension_name only: across names a line counts once per
-- dimension it carries.
with lines as (
    select voucher_key, line_position, voucher_date, month_start, account_number, amount,
        dimensions
    from {{ ref('general_ledger') }}
    where dimensions is not null and dimensions not in ('', '[]')
)

select
    l.voucher_key,
    l.line_position,
    l.voucher_date,
    l.month_start,
    l.account_number,
    {{ json_string('d', 'dimensionname') }} as dimension_name,
    {{ json_string('d', 'dimensionitem') }} as dimension_item,
    l.amount
from lines as l
{{ json_array_join('l.dimensions', 'd') }}

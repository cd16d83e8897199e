-- One row per calendar month from the first to the last month with vouchers, with the
-- accounting period (fiscal year) and quarter it belongs to.
with bounds as (
    select
        {{ month_start('min(voucher_date)') }} as first_month,
        {{ month_start('max(voucher_date)') }} as last_month
    from {{ ref('general_ledger') }}
),

months as (
    {{ month_series('first_month', 'last_month', 'bounds') }}
),

periods as (
    select name, begin_date, end_date from {{ source('netvisor', 'accounting_periods') }}
),

latest_balance as (
    select max(balance_date) as balance_date from {{ source('netvisor', 'account_balances') }}
),

-- BigQuery joins outer only on equalities: find each month's period with an inner join first.
month_periods as (
    select m.month_start, min(p.begin_date) as begin_date, min(p.name) as name
    from months as m
    inner join periods as p on m.month_start between p.begin_date and p.end_date
    group by m.month_start
)

select
    m.month_start,
    {{ month_end('m.month_start') }} as month_end,
    {{ quarter_start('m.month_start') }} as quarter_start,
    coalesce(p.begin_date, cast(concat(cast(extract(year from m.month_start) as string), '-01-01') as date))
        as fiscal_year_start,
    coalesce(p.name, cast(extract(year from m.month_start) as string)) as fiscal_year,
    -- A month is complete once Netvisor's balances reach its last day.
    coalesce({{ month_end('m.month_start') }} <= lb.balance_date, false) as is_complete
from months as m
left join month_periods as p on p.month_start = m.month_start
cross join latest_balance as lb

-- One row per posting account and month: opening, debit, credit, closing, and Netvisor's own
-- balance at the month end. Balances are cumulative as Netvisor reports them (accountbalance.nv).
-- What happened before the first synced day enters as the account's brought-forward amount:
-- Netvisor's balance on its first synced day less that day's and earlier lines.
with months as (
    select month_start, month_end from {{ ref('report_months') }}
),

accounts as (
    select account_key, account_number, account_name, account_group_path, statement, line_code
    from {{ ref('accounts_mapped') }}
),

gl as (
    select account_number, voucher_date, month_start, amount, debit, credit
    from {{ ref('general_ledger') }}
),

balances as (
    select a.account_number, b.balance_date, b.balance
    from {{ source('netvisor', 'account_balances') }} as b
    inner join accounts as a on a.account_key = b.account_key
),

first_day as (
    select account_number, min(balance_date) as first_date from balances group by account_number
),

first_balance as (
    select f.account_number, f.first_date, b.balance
    from first_day as f
    inner join balances as b
        on b.account_number = f.account_number and b.balance_date = f.first_date
),

early_lines as (
    select f.account_number, sum(g.amount) as amount
    from first_day as f
    inner join gl as g on g.account_number = f.account_number and g.voucher_date <= f.first_date
    group by f.account_number
),

brought_forward as (
    select fb.account_number, fb.balance - coalesce(el.amount, 0) as amount
    from first_balance as fb
    left join early_lines as el on el.account_number = fb.account_number
),

movements as (
    select account_number, month_start, sum(debit) as debit, sum(credit) as credit,
        sum(amount) as net
    from gl
    group by account_number, month_start
),

grid as (
    select
        m.month_start,
        m.month_end,
        a.account_key,
        a.account_number,
        a.account_name,
        a.account_group_path,
        a.statement,
        a.line_code,
        coalesce(mv.debit, 0) as debit,
        coalesce(mv.credit, 0) as credit,
        coalesce(mv.net, 0) as net,
        coalesce(bf.amount, 0) as brought_forward
    from months as m
    cross join accounts as a
    left join movements as mv
        on mv.account_number = a.account_number and mv.month_start = m.month_start
    left join brought_forward as bf on bf.account_number = a.account_number
),

cumulative as (
    select
        *,
        brought_forward + sum(net) over (
            partition by account_number order by month_start
            rows between unbounded preceding and current row
        ) as closing_balance
    from grid
)

select
    c.month_start,
    c.month_end,
    c.account_key,
    c.account_number,
    c.account_name,
    c.account_group_path,
    c.statement,
    c.line_code,
    c.closing_balance - c.net as opening_balance,
    c.debit,
    c.credit,
    c.closing_balance,
    b.balance as netvisor_balance
from cumulative as c
left join balances as b
    on b.account_number = c.account_number and b.balance_date = c.month_end

-- Every posting account with its place in the account tree and on the statements: the group
-- path (from the tree's Sort/EndSort nesting), the statement line (an account-level override
-- first, else the account-number range of the mapping seed) and the cash-flow category.
with accounts as (
    select * from {{ source('netvisor', 'accounts') }}
),

posting as (
    select
        account_key,
        account_number,
        name as account_name,
        sort,
        {{ account_int('account_number') }} as account_int
    from accounts
    where account_type = 'account'
),

groups as (
    select name, sort, end_sort from accounts where account_type = 'accountgroup'
),

paths as (
    select
        p.account_key,
        string_agg(g.name, ' > ' order by g.sort) as account_group_path,
        count(*) as account_depth
    from posting as p
    inner join groups as g
        on g.sort < p.sort and g.end_sort >= p.sort
    group by p.account_key
),

-- The statement line and the cash-flow category by account-number range (statements.sql).
ranged as (
    {{ first_in_account_range('posting', ref('account_mapping'), 'line_code') }}
),

cash as (
    {{ first_in_account_range('posting', ref('cash_flow_mapping'), 'sort', 'cash_flow_sort') }}
),

cash_categories as (
    select sort, min(activity) as activity, min(category_fi) as category_fi,
        min(category_en) as category_en
    from {{ ref('cash_flow_mapping') }}
    group by sort
),

mapped as (
    select
        p.account_key,
        p.account_number,
        p.account_name,
        p.sort,
        pa.account_group_path,
        coalesce(o.line_code, r.line_code) as line_code,
        c.cash_flow_sort
    from posting as p
    left join paths as pa on pa.account_key = p.account_key
    left join {{ ref('account_mapping_overrides') }} as o on o.account_number = p.account_number
    left join ranged as r on r.account_key = p.account_key
    left join cash as c on c.account_key = p.account_key
)

select
    m.account_key,
    m.account_number,
    m.account_name,
    m.sort as account_sort,
    m.account_group_path,
    m.line_code,
    s.statement,
    s.name_fi as line_name_fi,
    cc.activity as cash_flow_activity,
    cc.category_fi as cash_flow_category_fi,
    cc.category_en as cash_flow_category_en,
    m.cash_flow_sort,
    coalesce(m.line_code = 'BA.B.4', false) as is_cash
from mapped as m
left join {{ ref('statement_lines') }} as s on s.line_code = m.line_code
left join cash_categories as cc on cc.sort = m.cash_flow_sort

-- The short form for small companies (pienyrityksen tuloslaskelma, PMA 1753/2015 3 §): the
-- main items of the Kirjanpitoasetus 1:1 layout without their sub-items.
select
    month_start, month_end, fiscal_year, fiscal_year_start, is_complete, line_code, sort,
    name_fi, name_en, amount, amount_year_to_date
from {{ ref('profit_and_loss_monthly') }}
where level = 1

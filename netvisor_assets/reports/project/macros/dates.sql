{# Date arithmetic that returns DATE on both warehouses (dbt.dateadd gives BigQuery a DATETIME). #}

{% macro month_start(expr) -%}
  {{ return(adapter.dispatch('month_start', 'netvisor_reports')(expr)) }}
{%- endmacro %}
{% macro duckdb__month_start(expr) -%} cast(date_trunc('month', {{ expr }}) as date) {%- endmacro %}
{% macro bigquery__month_start(expr) -%} date_trunc({{ expr }}, month) {%- endmacro %}

{% macro add_months(expr, months) -%}
  {{ return(adapter.dispatch('add_months', 'netvisor_reports')(expr, months)) }}
{%- endmacro %}
{% macro duckdb__add_months(expr, months) -%}
  cast({{ expr }} + to_months(cast({{ months }} as integer)) as date)
{%- endmacro %}
{% macro bigquery__add_months(expr, months) -%}
  date_add({{ expr }}, interval {{ months }} month)
{%- endmacro %}

{% macro month_end(expr) -%}
  {{ return(adapter.dispatch('month_end', 'netvisor_reports')(expr)) }}
{%- endmacro %}
{% macro duckdb__month_end(expr) -%} cast(last_day({{ expr }}) as date) {%- endmacro %}
{% macro bigquery__month_end(expr) -%} last_day({{ expr }}, month) {%- endmacro %}

{% macro quarter_start(expr) -%}
  {{ return(adapter.dispatch('quarter_start', 'netvisor_reports')(expr)) }}
{%- endmacro %}
{% macro duckdb__quarter_start(expr) -%} cast(date_trunc('quarter', {{ expr }}) as date) {%- endmacro %}
{% macro bigquery__quarter_start(expr) -%} date_trunc({{ expr }}, quarter) {%- endmacro %}

{# Whole days from `earlier` to `later` (positive when later is after earlier). #}
{% macro days_between(earlier, later) -%}
  {{ return(adapter.dispatch('days_between', 'netvisor_reports')(earlier, later)) }}
{%- endmacro %}
{% macro duckdb__days_between(earlier, later) -%} datediff('day', {{ earlier }}, {{ later }}) {%- endmacro %}
{% macro bigquery__days_between(earlier, later) -%} date_diff({{ later }}, {{ earlier }}, day) {%- endmacro %}

{# One row per month start from `first` to `last` (DATE expressions of a one-row relation). #}
{% macro month_series(first, last, relation) -%}
  {{ return(adapter.dispatch('month_series', 'netvisor_reports')(first, last, relation)) }}
{%- endmacro %}
{% macro duckdb__month_series(first, last, relation) -%}
  select cast(unnest(generate_series({{ first }}, {{ last }}, interval 1 month)) as date) as month_start
  from {{ relation }}
{%- endmacro %}
{% macro bigquery__month_series(first, last, relation) -%}
  select month_start
  from {{ relation }}, unnest(generate_date_array({{ first }}, {{ last }}, interval 1 month)) as month_start
{%- endmacro %}

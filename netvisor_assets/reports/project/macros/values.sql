{# Account numbers are text in Netvisor; the mapping compares them as numbers. A number that
   is not numeric maps to nothing and fails the every_account_is_mapped test. #}
{% macro account_int(expr) -%}
  {{ dbt.safe_cast(expr, api.Column.translate_type('bigint')) }}
{%- endmacro %}

{# One row per element of a JSON array column, named `alias` (use with json_string). #}
{% macro json_array_join(column, alias) -%}
  {{ return(adapter.dispatch('json_array_join', 'netvisor_reports')(column, alias)) }}
{%- endmacro %}
{% macro duckdb__json_array_join(column, alias) -%}
  cross join unnest(json_extract({{ column }}, '$[*]')) as _{{ alias }}({{ alias }})
{%- endmacro %}
{% macro bigquery__json_array_join(column, alias) -%}
  cross join unnest(json_extract_array({{ column }})) as {{ alias }}
{%- endmacro %}

{% macro json_string(expr, field) -%}
  {{ return(adapter.dispatch('json_string', 'netvisor_reports')(expr, field)) }}
{%- endmacro %}
{% macro duckdb__json_string(expr, field) -%} json_extract_string({{ expr }}, '$.{{ field }}') {%- endmacro %}
{% macro bigquery__json_string(expr, field) -%} json_extract_scalar({{ expr }}, '$.{{ field }}') {%- endmacro %}

{# The abbreviation of a voucher class such as 'SA Sales Invoice'. #}
{% macro voucher_type(expr) -%}
  {{ dbt.split_part(expr, "' '", 1) }}
{%- endmacro %}

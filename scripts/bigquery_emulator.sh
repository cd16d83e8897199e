#!/usr/bin/env bash
# Build (idempotently) the local BigQuery emulator used by the warehouse contract tests.
#
# Why a separate venv: local-bigquery needs Python >= 3.13 while the project runs on 3.11.
# Why pinned 0.3.2 + extension wheels: 0.4.0 downloads a DuckDB extension at run time and CI has
# no internet; the wheels carry the .duckdb_extension files, which DuckDB installs from a local
# path into $HOME/.duckdb/extensions. HOME is private to the emulator folder so the developer's
# and CI's real ~/.duckdb stays untouched. See /work/shared/bigquery-emulator.md.
#
# Usage: scripts/bigquery_emulator.sh            (builds into $NETVISOR_BQEMU_DIR or ./.bqemu)
# Layout:  <dir>/venv   the Python 3.13 venv with the `local-bigquery` command
#          <dir>/home   the private HOME holding the installed DuckDB extensions
#          <dir>/.ready a marker written last, so a half-built folder is rebuilt
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BQEMU_DIR="${NETVISOR_BQEMU_DIR:-$PROJECT_DIR/.bqemu}"
PYTHON_VERSION="${BQEMU_PYTHON_VERSION:-3.13.0}"
PINS=(
  "local-bigquery==0.3.2"
  "duckdb==1.5.5"
  "duckdb-extension-ducklake==1.5.5"
  "duckdb-extension-icu==1.5.5"
  "duckdb-extension-spatial==1.5.5"
)
STAMP="${PINS[*]}"

if [[ -f "$BQEMU_DIR/.ready" && "$(cat "$BQEMU_DIR/.ready")" == "$STAMP" ]]; then
  echo "bigquery emulator already built in $BQEMU_DIR"
  exit 0
fi

mkdir -p "$BQEMU_DIR/home"
rm -f "$BQEMU_DIR/.ready"

if [[ ! -x "$BQEMU_DIR/venv/bin/python" ]]; then
  if command -v pyenv >/dev/null 2>&1; then
    PYENV_VERSION="$PYTHON_VERSION" python3.13 -m venv "$BQEMU_DIR/venv"
  else
    python3.13 -m venv "$BQEMU_DIR/venv"
  fi
fi

"$BQEMU_DIR/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"

# Install each wheel's extension file under the private HOME; DuckDB copies it to
# $HOME/.duckdb/extensions/v1.5.5/<platform>/ where the emulator's DuckDB loads it offline.
HOME="$BQEMU_DIR/home" "$BQEMU_DIR/venv/bin/python" - <<'PY'
import pathlib
import sys
import sysconfig

import duckdb

site = pathlib.Path(sysconfig.get_paths()["purelib"])
plat = pathlib.Path(sysconfig.get_paths()["platlib"])
found = sorted({*site.rglob("*.duckdb_extension"), *plat.rglob("*.duckdb_extension")})
names = {p.name.split(".")[0] for p in found}
missing = {"ducklake", "icu", "spatial"} - names
if missing:
    sys.exit(f"extension files not found in the wheels: {sorted(missing)}")
con = duckdb.connect()
for path in found:
    con.execute(f"INSTALL '{path}'")
for name in sorted(names):
    con.execute(f"LOAD {name}")
print("installed duckdb extensions:", ", ".join(sorted(names)))
PY

test -x "$BQEMU_DIR/venv/bin/local-bigquery"
echo "$STAMP" > "$BQEMU_DIR/.ready"
echo "bigquery emulator built in $BQEMU_DIR"

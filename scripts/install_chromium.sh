#!/usr/bin/env bash
# Install Debian's Chromium for the UI test (netvisor_assets_tests/test_ui.py drives it through
# playwright; no browser is ever downloaded). Idempotent: does nothing when it is there already.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium
/usr/bin/chromium --version

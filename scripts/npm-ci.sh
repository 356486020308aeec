#!/usr/bin/env bash
# Installs the locked npm packages. npm 11 (as upgraded on some machines) refuses `npm ci` for this lock
# (it wants lock entries for every platform binding of unrs-resolver, a jest dependency, npm/cli#8320-like);
# npm 10.8.2, the npm bundled with Node 20, installs it exactly. So CI pins that npm for the install.
set -euo pipefail
cd "$(dirname "$0")/.."
NPM_FOR_CI="${NPM_FOR_CI:-npm@10.8.2}"
if npm --version | grep -q '^10\.'; then
  exec npm ci --no-audit --no-fund "$@"
fi
exec npx -y "$NPM_FOR_CI" ci --no-audit --no-fund "$@"

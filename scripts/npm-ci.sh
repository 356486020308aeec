#!/usr/bin/env bash
# Installs the locked npm packages with whatever npm is on the PATH: the lock suits npm 10 (bundled
# with Node 20) and npm 11 alike (scripts/check-lock.sh checks both). Dependencies' install scripts
# are decided in package.json `allowScripts` (all four denied: none is needed on any platform).
set -euo pipefail
cd "$(dirname "$0")/.."
exec npm ci --no-audit --no-fund "$@"

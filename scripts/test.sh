#!/usr/bin/env bash
# `npm test`: everything the suite needs on a fresh clone, then all three layers.
#   unit (no network) · integration (moto server started by the harness) · e2e (the built CLI as a subprocess)
# Extra arguments go to jest (e.g. `npm test -- --selectProjects unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || bash scripts/npm-ci.sh
bash scripts/setup-emulator.sh
bash scripts/install-helm.sh
npm run --silent build
exec npx jest "$@"

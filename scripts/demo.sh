#!/usr/bin/env bash
# `npm run demo`: the whole product on a laptop, against the moto emulator, in under two minutes.
#
#   1. installs what is missing (npm ci, the build, moto in .venv-moto/)
#   2. starts moto on a free 127.0.0.1 port (stopped when the demo ends) and creates two buckets
#   3. builds the example apps of examples/ into bundles and uploads them the way GitLab CI would
#      (`apps-deployer upload`); the broken example is refused by upload, so the demo puts it into the
#      release prefix directly, as a careless script could, to show reconcile rejecting it
#   4. `apps-deployer reconcile`: provisions the good apps, rejects the broken one → exit 1
#   5. `apps-deployer reconcile` again: nothing to do → exit 0
#   6. `apps-deployer status`
#
# The demo checks its own outcomes and exits 1 if one of them is not what it announces.
# Environment: APPS_DEPLOYER_LOG_LEVEL (default warn: keeps the demo readable; `info` shows the
# JSON logs), DEMO_KEEP_EMULATOR=1 to leave moto running at the end (it prints how to reach it),
# DEMO_ENDPOINT=http://127.0.0.1:PORT to use an emulator already running there instead of moto
# (fresh state needed: the demo's buckets must not hold an earlier demo's runs).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ -t 1 ]; then BOLD=$'\e[1m'; DIM=$'\e[2m'; RESET=$'\e[0m'; else BOLD=''; DIM=''; RESET=''; fi
section() { printf '\n%s══ %s ══%s\n' "$BOLD" "$*" "$RESET"; }
note() { printf '%s%s%s\n' "$DIM" "$*" "$RESET"; }
show() { printf '%s$ %s%s\n' "$BOLD" "$*" "$RESET"; }
# the CLI exactly as a user runs it in a clone after `npm ci && npm run build` (README "Running the
# CLI"): npx finds this package's own `apps-deployer` bin
CLI=(npx --no-install apps-deployer)
apps_deployer() { show "npx apps-deployer $*"; "${CLI[@]}" "$@"; }
FAILURES=()
expect_exit() { # expect_exit <expected> <actual> <what>
  if [ "$1" = "$2" ]; then note "→ exit $2, as expected ($3)"; else
    printf '%s→ exit %s, expected %s (%s)%s\n' "$BOLD" "$2" "$1" "$3" "$RESET"; FAILURES+=("$3: exit $2, expected $1"); fi
}

# verify <what> <JS expression over `s`, the `apps-deployer status [APP_ID] --json` document> [APP_ID]
verify() {
  local json
  json="$("${CLI[@]}" status "${@:3}" --json)" || { FAILURES+=("$1: status --json failed"); return; }
  if printf '%s' "$json" | node -e '
    let t = ""; process.stdin.on("data", (c) => (t += c)).on("end", () => {
      const s = JSON.parse(t); process.exit(new Function("s", `return (${process.argv[1]});`)(s) ? 0 : 1);
    });' "$2"; then note "✓ checked: $1"; else
    printf '%s✗ not as announced: %s%s\n' "$BOLD" "$1" "$RESET"; FAILURES+=("$1"); fi
}

section "1. Install what is missing"
if [ ! -d node_modules ]; then
  show "npm ci"
  bash scripts/npm-ci.sh
else note "node_modules present"; fi
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' -print -quit)" ]; then
  show "npm run build"; npm run --silent build
else note "dist/ is up to date"; fi
bash scripts/setup-emulator.sh

STARTED=$SECONDS

section "2. Start the emulator and create the buckets"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apps-deployer-demo.XXXXXX")"
MOTO_PID=''
cleanup() {
  if [ -n "$MOTO_PID" ] && [ "${DEMO_KEEP_EMULATOR:-}" != "1" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ -n "${DEMO_ENDPOINT:-}" ]; then
  # another emulator, already running (e.g. LocalStack: README "Test backends")
  note "using the emulator at $DEMO_ENDPOINT (DEMO_ENDPOINT)"
else
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$ROOT/.venv-moto/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
MOTO_PID=$!
moto_ready() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$PORT/moto-api/"; }
for _ in $(seq 1 100); do
  if moto_ready; then break; fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null; then echo "moto_server exited:"; cat "$WORK/moto.log"; exit 1; fi
  sleep 0.2
done
moto_ready || { echo "moto_server did not start within 30 s:"; cat "$WORK/moto.log"; exit 1; }
note "moto listening on http://127.0.0.1:$PORT (pid $MOTO_PID)"
fi

export AWS_ENDPOINT_URL="${DEMO_ENDPOINT:-http://127.0.0.1:$PORT}"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
export MM_APPS_S3_BUCKET=demo-mattermost-apps
export MM_APPS_RELEASE_BUCKET=demo-app-releases
export MM_APPS_RELEASE_PREFIX=bundles/
# the release layout is the caller's (per-app: <prefix><app_id>/<app_id>_<version>.zip, recommended for
# new installs; flat, the default: <prefix><app_id>_<version>.zip); upload and reconcile both follow it
export APPS_DEPLOYER_RELEASE_LAYOUT="${APPS_DEPLOYER_RELEASE_LAYOUT:-flat}"
case "$APPS_DEPLOYER_RELEASE_LAYOUT" in
  per-app) BROKEN_KEY="${MM_APPS_RELEASE_PREFIX}com.example.broken-app/com.example.broken-app_0.1.0.zip" ;;
  *) BROKEN_KEY="${MM_APPS_RELEASE_PREFIX}com.example.broken-app_0.1.0.zip" ;;
esac
export APPS_DEPLOYER_LOG_LEVEL="${APPS_DEPLOYER_LOG_LEVEL:-warn}"
# the AWS SDK announces on every start that its 2027 releases need Node 22; not news for a demo
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
unset APPS_DEPLOYER_NOTIFY_WEBHOOK_URL APPS_DEPLOYER_ALERT_WEBHOOK_URL APPS_DEPLOYER_PUSHGATEWAY_URL
note "MM_APPS_S3_BUCKET=$MM_APPS_S3_BUCKET MM_APPS_RELEASE_BUCKET=$MM_APPS_RELEASE_BUCKET MM_APPS_RELEASE_PREFIX=$MM_APPS_RELEASE_PREFIX APPS_DEPLOYER_RELEASE_LAYOUT=$APPS_DEPLOYER_RELEASE_LAYOUT"
node -e '
const { S3Client, CreateBucketCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true, region: process.env.AWS_REGION });
(async () => {
  for (const Bucket of process.argv.slice(1)) { await s3.send(new CreateBucketCommand({ Bucket })); console.log(`created bucket ${Bucket}`); }
})().catch((e) => { console.error(e); process.exit(1); });
' "$MM_APPS_S3_BUCKET" "$MM_APPS_RELEASE_BUCKET"

section "3. Build the example apps and upload them (what GitLab CI does)"
show "node scripts/build-examples.js $WORK/bundles"
node scripts/build-examples.js "$WORK/bundles"
for app in hello-world weather-bot; do
  apps_deployer upload "$WORK/bundles/$app.zip"
done
note "Uploading the same bundle again is harmless (a CI job run twice):"
apps_deployer upload "$WORK/bundles/hello-world.zip"
note "The broken example is refused by upload, and nothing is written:"
set +e; apps_deployer upload "$WORK/bundles/broken-app.zip"; code=$?; set -e
expect_exit 1 "$code" "upload refuses the broken bundle"
note "Suppose someone copies it into the release prefix anyway (here with a plain S3 PutObject),"
note "so that reconcile meets it; it must reject it without disturbing the other apps:"
show "PutObject s3://$MM_APPS_RELEASE_BUCKET/$BROKEN_KEY  (as 'aws s3 cp' would; a node one-liner here)"
node -e '
const fs = require("fs");
const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");
const s3 = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL, forcePathStyle: true, region: process.env.AWS_REGION });
s3.send(new PutObjectCommand({ Bucket: process.env.MM_APPS_RELEASE_BUCKET, Key: process.argv[2], Body: fs.readFileSync(process.argv[1]) }))
  .catch((e) => { console.error(e); process.exit(1); });
' "$WORK/bundles/broken-app.zip" "$BROKEN_KEY"

section "4. First reconcile: provision the new apps, reject the broken one"
apps_deployer plan
set +e; apps_deployer reconcile; code=$?; set -e
expect_exit 1 "$code" "first reconcile: the broken bundle is rejected"
verify "hello-world and weather-bot are provisioned" \
  's.provisioned.map((a) => a.appId).sort().join() === "com.example.hello-world,com.example.weather-bot"'
verify "nothing is pending, one bundle is rejected" \
  's.rejected.length === 1 && s.pending.length === 0'
# the reasons are details of one app: `status APP_ID` reads them
verify "broken-app is rejected with its reasons, nothing is pending" \
  's.rejected.length === 1 && s.rejected[0].appId === "com.example.broken-app" && s.rejected[0].issues.length >= 2 && s.pending.length === 0' \
  com.example.broken-app


section "5. Second reconcile: nothing to do"
note "Every release object was judged by ETag; this run only lists, takes the lock and writes its run record."
set +e; apps_deployer reconcile; code=$?; set -e
expect_exit 0 "$code" "second reconcile: the known rejection does not fail it again"
verify "the second run judged nothing again" \
  's.runs.length === 2 && s.runs[0].exitCode === 0 && s.runs[0].counts.skipped === 3 && Object.keys(s.runs[0].counts).length === 1'


section "6. Status"
set +e; apps_deployer status; code=$?; set -e
expect_exit 0 "$code" "status"

section "Done"
note "steps 2–6 took $((SECONDS - STARTED)) s (the install above excluded)"
if [ "${DEMO_KEEP_EMULATOR:-}" = "1" ]; then
  note "moto keeps running (pid $MOTO_PID); try: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL MM_APPS_S3_BUCKET=$MM_APPS_S3_BUCKET MM_APPS_RELEASE_BUCKET=$MM_APPS_RELEASE_BUCKET MM_APPS_RELEASE_PREFIX=$MM_APPS_RELEASE_PREFIX AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo npx apps-deployer status"
fi
if [ "${#FAILURES[@]}" -gt 0 ]; then
  printf 'The demo did not go as announced:\n'; printf '  - %s\n' "${FAILURES[@]}"; exit 1
fi
echo "All steps behaved as announced. Next: README.md (operations), helm/apps-deployer (the hourly CronJob)."

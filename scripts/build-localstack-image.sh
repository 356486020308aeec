#!/usr/bin/env bash
# Builds the LocalStack test image locally, for machines that reach no container registry (CI).
# With a registry, use the official localstack/localstack:4.14.0 instead (the harness does).
#
#   scripts/build-localstack-image.sh              build unless the tag exists; prints the tag last
#   scripts/build-localstack-image.sh --print-tag  only print the tag (the harness uses it)
#
# Recipe (every part pinned; the tag carries the hash of this script and its two inputs, so a
# changed recipe builds a new image and an unchanged one is reused from the engine's cache):
#   1. debootstrap Debian trixie (minbase + python3 3.13, python3-venv, ca-certificates) from the
#      Debian mirror apt uses on this machine (DEBIAN_MIRROR overrides);
#   2. a virtualenv /opt/localstack/venv with pip==$PIP_VERSION and localstack-core[runtime]==4.14.0,
#      every dependency pinned by scripts/localstack-image/constraints.txt (`pip freeze` of a working
#      build; unpinned, cbor2 >= 6, pyOpenSSL >= 26 and cryptography >= 47 break LocalStack 4.14);
#   3. Lambda stand-ins (no runtime image can be pulled): a placeholder lambda-runtime-init binary
#      where LocalStack would download it, and DOCKER_CMD = scripts/localstack-image/docker-standin.sh
#      (answers `ps` and `pull`), with LEGACY_DOCKER_CLIENT=1 so LocalStack uses DOCKER_CMD; functions
#      are then created, updated, tagged and become Active, but can never be invoked;
#   4. `docker import` of the tree into the engine at DOCKER_HOST (scripts/docker-engine.sh env).
# Needs root (debootstrap, chroot), the `debootstrap` package (installed when missing) and network
# access to the Debian mirror and PyPI. Takes a few minutes cold; seconds when cached.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HERE="$ROOT/scripts/localstack-image"
LOCALSTACK_VERSION="4.14.0"
PIP_VERSION="26.0"
DEBOOTSTRAP_VERSION="${DEBOOTSTRAP_VERSION:-1.0.128+nmu2+deb12u2}" # Debian 12 (bookworm)
LAMBDA_INIT_VERSION="v0.1.41-pre"                                 # localstack/services/lambda_/packages.py
SUITE="trixie"

recipe_hash() {
  cat "$ROOT/scripts/build-localstack-image.sh" "$HERE/constraints.txt" "$HERE/docker-standin.sh" |
    sha256sum | cut -c1-12
}
TAG="apps-deployer-localstack:$LOCALSTACK_VERSION-$(recipe_hash)"
if [ "${1:-}" = "--print-tag" ]; then
  echo "$TAG"
  exit 0
fi

DOCKER="$(command -v docker)"
[ -x /usr/bin/docker ] && DOCKER=/usr/bin/docker
if [ -z "${DOCKER_HOST:-}" ] && bash "$ROOT/scripts/docker-engine.sh" status >/dev/null 2>&1; then
  eval "$(bash "$ROOT/scripts/docker-engine.sh" env)"
fi
if "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  echo "localstack-image: $TAG exists (cached)" >&2
  echo "$TAG"
  exit 0
fi
[ "$(id -u)" = 0 ] || {
  echo "localstack-image: building needs root (debootstrap, chroot)" >&2
  exit 1
}
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "localstack-image: installing debootstrap=$DEBOOTSTRAP_VERSION (apt)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "debootstrap=$DEBOOTSTRAP_VERSION" >/dev/null
fi

debian_mirror() {
  local uri
  uri="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)"
  [ -n "$uri" ] || uri="$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${DEBIAN_MIRROR:-$(debian_mirror)}"

case "$(uname -m)" in
  x86_64) LAMBDA_ARCH=x86_64 ;;
  aarch64) LAMBDA_ARCH=arm64 ;;
  *) LAMBDA_ARCH="$(uname -m)" ;;
esac

WORK="$(mktemp -d "${TMPDIR:-/tmp}/apps-deployer-localstack-build.XXXXXX")"
trap 'rm -rf --one-file-system "$WORK"' EXIT
R="$WORK/root"
t0=$SECONDS

echo "localstack-image: building $TAG (debootstrap $SUITE from $MIRROR)" >&2
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -20 "$WORK/debootstrap.log" >&2
  exit 1
}
echo "localstack-image: root file system ready ($((SECONDS - t0))s); installing localstack-core $LOCALSTACK_VERSION" >&2

# name resolution and the machine's CA bundle (a TLS-inspecting proxy) for the build only
cp /etc/resolv.conf "$R/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$R/tmp/build-ca.crt"
cp "$HERE/constraints.txt" "$R/tmp/constraints.txt"
chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
  PIP_CERT=/tmp/build-ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_PROGRESS_BAR=off \
  sh -ec "
    python3 -m venv /opt/localstack/venv
    /opt/localstack/venv/bin/pip install -q 'pip==$PIP_VERSION'
    /opt/localstack/venv/bin/pip install -q -c /tmp/constraints.txt 'localstack-core[runtime]==$LOCALSTACK_VERSION'
    /opt/localstack/venv/bin/python -c 'import localstack.runtime.main'
  " >"$WORK/pip.log" 2>&1 || {
  tail -30 "$WORK/pip.log" >&2
  exit 1
}
echo "localstack-image: localstack-core installed ($((SECONDS - t0))s)" >&2

# Lambda stand-ins
init_dir="$R/usr/lib/localstack/lambda-runtime/$LAMBDA_INIT_VERSION/$LAMBDA_ARCH/var/rapid"
mkdir -p "$init_dir"
printf '#!/bin/sh\necho "placeholder lambda-runtime-init: functions cannot be invoked in this image" >&2\nexit 1\n' \
  >"$init_dir/init"
chmod 755 "$init_dir/init"
install -m 755 "$HERE/docker-standin.sh" "$R/usr/local/bin/docker-standin"

# what the container needs at run time, and nothing of the build
mkdir -p "$R/var/lib/localstack" "$R/etc/localstack/init"
chmod 1777 "$R/var/lib/localstack"
rm -f "$R/tmp/build-ca.crt" "$R/tmp/constraints.txt"
: >"$R/etc/resolv.conf"
rm -rf "$R/var/cache/apt/archives/"*.deb "$R/var/lib/apt/lists/"* "$R/root/.cache"

tar -C "$R" --numeric-owner -cf - . | "$DOCKER" import \
  --change "ENV PATH=/opt/localstack/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV GATEWAY_SERVER=hypercorn" \
  --change "ENV LEGACY_DOCKER_CLIENT=1" \
  --change "ENV DOCKER_CMD=/usr/local/bin/docker-standin" \
  --change "ENV SERVICES=s3,lambda,iam,sts,logs" \
  --change "LABEL org.opencontainers.image.title=apps-deployer-localstack org.opencontainers.image.version=$LOCALSTACK_VERSION" \
  --change 'ENTRYPOINT ["/opt/localstack/venv/bin/python", "-m", "localstack.runtime.main"]' \
  - "$TAG" >/dev/null
echo "localstack-image: built $TAG in $((SECONDS - t0))s" >&2
echo "$TAG"

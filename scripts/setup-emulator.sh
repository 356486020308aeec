#!/usr/bin/env bash
# Installs the test/demo emulator (moto server, pinned) into a project-local virtualenv: .venv-moto/.
# Idempotent: a second run only checks the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
VENV=".venv-moto"
PY="${PYTHON:-python3}"
if [ -x "$VENV/bin/moto_server" ] && "$VENV/bin/python" -c "import moto,sys; sys.exit(0 if moto.__version__=='$MOTO_VERSION' else 1)" 2>/dev/null; then
  echo "emulator: moto $MOTO_VERSION already installed in $VENV"
  exit 0
fi
echo "emulator: installing moto[server]==$MOTO_VERSION into $VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
"$VENV/bin/python" -c "import moto; print('emulator: moto', moto.__version__, 'ready in $VENV')"

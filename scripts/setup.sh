#!/usr/bin/env bash
# Installs what is missing to build and run the Worker: the wasm32 target, worker-build, the
# wasm-bindgen CLI matching Cargo.lock, the pinned npm packages, and the pinned Python SDK
# (for its compatibility test) in a cached virtual environment. Idempotent; quick when
# everything is there. Needs rustup/cargo, node/npm and python3 (with venv) on the PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

for tool in rustup cargo node npm python3; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is required but not on the PATH" >&2; exit 1; }
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  echo "setup: installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked
fi

if [ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION into $TOOLS_DIR (about 7 minutes, once)"
  # Not --locked: its lock file names a crate version some registry mirrors lack.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$(dirname "$(dirname "$WASM_BINDGEN_BIN")")"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing the pinned npm packages"
  npm ci --no-audit --no-fund
fi

# The Python SDK: re-made whenever the pinned requirements change.
requirements="$ROOT/tests/sdk/python-requirements.txt"
if ! cmp -s "$requirements" "$PYTHON_SDK_VENV/requirements.txt"; then
  echo "setup: installing the pinned Python SDK into $PYTHON_SDK_VENV"
  rm -rf "$PYTHON_SDK_VENV"
  python3 -m venv "$PYTHON_SDK_VENV"
  "$PYTHON_SDK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$PYTHON_SDK_VENV/requirements.txt"
fi

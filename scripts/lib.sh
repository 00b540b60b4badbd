# Shared by the scripts: pinned tool versions and where the tools live. Source it.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
WORKER_BUILD_VERSION=0.8.7
# worker-build requires the wasm-bindgen CLI to equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
TOOLS_DIR=${EDGE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edge-customer-api}
export WASM_BINDGEN_BIN="$TOOLS_DIR/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen"
# The Python SDK test's virtual environment (tests/sdk/python-requirements.txt); tests/api/sdk.rs
# finds it here too.
export PYTHON_SDK_VENV="$TOOLS_DIR/python-sdk-venv"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false  # no Request.cf download (no network here; a placeholder is used)
export CI=${CI:-1}   # keeps wrangler from prompting

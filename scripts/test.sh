#!/usr/bin/env bash
# The second README command (and CI's): set up what is missing, check formatting and lints,
# build the Worker once, then run every test: the domain unit tests and the black-box tests,
# which start `wrangler dev` with fresh local D1/KV/Durable Object state and drive it over HTTP
# (including the official commercetools SDK test).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "== format and lints"
cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --release --quiet -- -D warnings
echo "== build the Worker"
bash scripts/build.sh
echo "== tests"
cargo test "$@"
# The black-box suite once more with customers spread over 4 local D1 databases (issue 18,
# docs/scale.md): every endpoint and race must hold there too. Only for a full run.
if [ $# -eq 0 ]; then
  echo "== black-box tests with customers over 4 D1 databases"
  API_TEST_CONFIG=sharded cargo test --test api
fi

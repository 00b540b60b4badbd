#!/usr/bin/env bash
# The black-box suite with customers spread over 4 local D1 databases (wrangler.sharded.toml,
# docs/scale.md); scripts/test.sh runs it too. Extra arguments go to the test binary (e.g.
# a filter).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
bash scripts/build.sh
API_TEST_CONFIG=sharded cargo test --test api -- "$@"

#!/usr/bin/env bash
# Builds the Worker into build/ (wrangler runs this as its [build] command). Skips the build
# when build/index.js is newer than every source, so starting `wrangler dev` again is quick.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
if [ -f build/index.js ] && [ -z "$(find src Cargo.toml Cargo.lock -newer build/index.js -print -quit)" ]; then
  echo "build: build/ is up to date"
  exit 0
fi
exec worker-build --release

#!/usr/bin/env bash
# The first README command: set up what is missing, apply the D1 migrations to the local
# database, and serve the API on http://127.0.0.1:8787 with local D1, KV and Durable Objects
# (state in .wrangler/state). The local project and API clients are in .dev.vars.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
node_modules/.bin/wrangler d1 migrations apply DB --local
exec node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" --show-interactive-dev-session=false "$@"

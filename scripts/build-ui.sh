#!/usr/bin/env bash
# Installs the web UI's locked npm packages and builds it into ui/dist (which the app embeds).
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: the versions come from package-lock.json either way, but the
  # registry here serves only this platform's builds of packages like rollup and esbuild, so
  # the lock cannot list the other platforms' optional builds, and `npm ci` refuses a lock
  # without them.
  npm install --no-audit --no-fund
fi
npm run build

#!/usr/bin/env bash
# Builds the server's Debian package into target/debian/ with cargo-deb (installed here if
# missing): a release build, or with --from-test-build the debug binary the tests just built
# (what scripts/test-package.sh installs, to spare CI a second full build).
# Usage: scripts/package.sh [--from-test-build]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deb >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-deb" ]; then
  echo "installing: cargo-deb"
  cargo install cargo-deb --locked --version 3.8.0
fi
if [ "${1:-}" = --from-test-build ]; then
  # cargo-deb warns that the dev profile is not for releases; this package is only for the test.
  cargo deb -p fairtill-server --profile dev --no-build -o target/debian/ 2>&1 | grep -v 'dev profile\|debug symbols set\|custom profiles' || true
else
  cargo deb -p fairtill-server -o target/debian/
fi
ls target/debian/fairtill-server_*.deb

#!/usr/bin/env bash
# Builds Fairtill's Debian packages and prints their paths, the server's then the app's:
# - the server's with cargo-deb (installed here if missing) into target/debian/;
# - the desktop app's with Tauri's own bundler (the `tauri` CLI from ui/'s locked npm packages,
#   so nothing is compiled for it) into target/<profile>/bundle/deb/.
# A release build of each, or with --from-test-build the debug binaries the tests just built
# (what scripts/test-package.sh installs, to spare CI a second full build).
# Usage: scripts/package.sh [--from-test-build]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo-deb >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-deb" ]; then
  echo "installing: cargo-deb"
  cargo install cargo-deb --locked --version 3.8.0
fi
tauri=ui/node_modules/.bin/tauri
if [ "${1:-}" = --from-test-build ]; then
  [ -x "$tauri" ] || bash scripts/build-ui.sh >/dev/null
  # cargo-deb warns that the dev profile is not for releases; this package is only for the test.
  cargo deb -p fairtill-server --profile dev --no-build -o target/debian/ 2>&1 | grep -v 'dev profile\|debug symbols set\|custom profiles' || true
  # `tauri bundle` packages the binary that is already built, with the settings of tauri.conf.json.
  rm -f target/debug/bundle/deb/*.deb
  "$tauri" bundle --debug --bundles deb --ci >&2
  profile=debug
else
  bash scripts/setup-system.sh app
  bash scripts/build-ui.sh >&2
  cargo deb -p fairtill-server -o target/debian/ >&2
  rm -f target/release/bundle/deb/*.deb
  # A release build with the UI embedded (the custom-protocol feature), then its package.
  "$tauri" build --bundles deb --ci >&2
  profile=release
fi
ls target/debian/fairtill-server_*.deb
ls target/$profile/bundle/deb/Fairtill_*.deb

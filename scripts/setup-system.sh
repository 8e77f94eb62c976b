#!/usr/bin/env bash
# Installs the Debian 12 packages Fairtill needs, skipping what is already installed.
# Usage: scripts/setup-system.sh app|test
set -euo pipefail
want=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev librsvg2-dev libdbus-1-dev)
if [ "${1:-app}" = test ]; then
  # chromium and its driver: the server's customer-facing card form page in a real browser.
  # poppler-utils: pdftotext, with which the mail tests read the receipt PDFs the server sends.
  # curl and procps: the package test talks to the installed server and finds its process;
  # desktop-file-utils: it validates the app's desktop entry. libreoffice-calc-nogui: soffice,
  # which opens an export as a spreadsheet would (crates/cli/tests/spreadsheet.rs).
  want+=(xvfb x11-utils webkit2gtk-driver gnome-keyring dbus chromium chromium-driver poppler-utils curl procps desktop-file-utils libreoffice-calc-nogui)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The web UI is built with Node (18.19 or newer) and npm; Debian 12's own nodejs is enough.
if ! command -v npm >/dev/null 2>&1; then
  echo "installing: nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: Fairtill needs the Rust toolchain (1.95) on the PATH" >&2
  exit 1
fi
# The end-to-end tests drive the real window through tauri-driver (built from crates.io).
if [ "${1:-app}" = test ] && ! command -v tauri-driver >/dev/null 2>&1 \
  && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "installing: tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi

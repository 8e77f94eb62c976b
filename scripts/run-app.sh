#!/usr/bin/env bash
# Sets up and runs the Fairtill desktop app on its embedded defaults
# (the database in the user's data directory; override with FAIRTILL_DB or --db PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh app
bash scripts/build-ui.sh
cargo build --release --features tauri/custom-protocol
exec target/release/fairtill-app "$@"

#!/usr/bin/env bash
# Sets up and runs the whole test suite: format, lints, every crate's tests (including the
# crash test and the app-window start test under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh test
# PostgreSQL is used by the server suites; start it if this machine has it and it is down.
if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The keyring test talks to a real Secret Service: run the suite in a private D-Bus session with
# gnome-keyring unlocked (the password only unlocks this throwaway login keyring).
# Its keyrings live in a fresh folder each run, so an existing login keyring with another
# password cannot leave the collection locked.
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash -c 'echo -n fairtill-ci | gnome-keyring-daemon --components=secrets --daemonize --unlock >/dev/null && cargo test --workspace'

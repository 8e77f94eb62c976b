#!/usr/bin/env bash
# Sets up and runs the whole test suite: the web UI's type check and unit tests, format, lints,
# every crate's tests (including the crash test, schemathesis and the app-window tests under
# Xvfb), a short fuzzing run, and a check that the TypeScript types generated from the Rust types
# are committed and current.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh test
# PostgreSQL is used by the server suites; start it if this machine has it and it is down.
if command -v pg_lsclusters >/dev/null 2>&1 && ! pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
bash scripts/build-ui.sh
# Test services from PyPI, in a virtual environment outside the checkout: localstripe, the
# Stripe emulator the processor tests charge; aiosmtpd, the SMTP server the mail tests send
# through; and standardwebhooks, the Standard Webhooks project's Python library, with which the
# tests' webhook receiver checks the server's signatures independently of its own code.
venv="${FAIRTILL_TEST_VENV:-$HOME/.cache/fairtill/test-venv}"
if [ ! -x "$venv/bin/localstripe" ] || ! "$venv/bin/python" -c 'import aiosmtpd, standardwebhooks' 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || { apt-get install -y -qq python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install -q --disable-pip-version-check 'localstripe==1.15.10' 'aiosmtpd==1.4.6' 'standardwebhooks==1.1.0'
fi
# Schemathesis, the OpenAPI fuzzer the server's API test runs, in a virtual environment of its
# own (its dependencies are newer than localstripe's).
st_venv="${FAIRTILL_SCHEMATHESIS_VENV:-$HOME/.cache/fairtill/schemathesis-venv}"
if [ ! -x "$st_venv/bin/st" ]; then
  [ -x "$st_venv/bin/python" ] || python3 -m venv "$st_venv"
  "$st_venv/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.5'
fi
export PATH="$venv/bin:$PATH:$st_venv/bin"
(cd ui && npm run check && npm test)
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The keyring test talks to a real Secret Service: run the suite in a private D-Bus session with
# gnome-keyring unlocked (the password only unlocks this throwaway login keyring).
# Its keyrings live in a fresh folder each run, so an existing login keyring with another
# password cannot leave the collection locked.
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" dbus-run-session -- bash -c 'echo -n fairtill-ci | gnome-keyring-daemon --components=secrets --daemonize --unlock >/dev/null && cargo test --workspace'
# The server's and the app's Debian packages, installed, run (the app in a real window, syncing
# with the installed server), and removed (scripts/test-package.sh).
bash scripts/test-package.sh
# Coverage-guided fuzzing of what Fairtill reads from outside, 20 s per target (RELIABILITY.md).
bash scripts/fuzz.sh 20
# `cargo test` regenerated ui/src/bindings from the Rust types and docs/schema from fresh
# databases: both must match what is committed.
if [ -n "$(git status --porcelain -- ui/src/bindings docs/schema)" ]; then
  git status --porcelain -- ui/src/bindings docs/schema >&2
  echo "ui/src/bindings or docs/schema is stale: commit what cargo test generated" >&2
  exit 1
fi

#!/usr/bin/env bash
# Runs every fuzz target for a while: coverage-guided (libFuzzer through cargo-fuzz, no
# sanitizer, which works on stable Rust), starting from the committed corpus in fuzz/corpus.
# Usage: scripts/fuzz.sh [seconds per target, default 30]
# New inputs go to a temporary folder (the committed corpus is only read); a crash leaves its
# input in fuzz/artifacts/<target>/ and fails the run: make it a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
if ! command -v cargo-fuzz >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-fuzz" ]; then
  echo "installing: cargo-fuzz"
  cargo install cargo-fuzz --locked --version '^0.13'
fi
targets=(history_import product_import settlement_file push_body)
cargo fuzz build --sanitizer none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "fuzzing $t for ${seconds}s"
  if ! cargo fuzz run --sanitizer none "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 >"$work/$t.log" 2>&1; then
    tail -40 "$work/$t.log" >&2
    echo "fuzz target $t failed; its input is in fuzz/artifacts/$t: make it a regression test" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$work/$t.log" | tr '\n' ' '
  echo
done

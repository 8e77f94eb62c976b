#!/usr/bin/env bash
# Installs the server's Debian package on this machine (as root) and checks it as an operator
# would: its own system user, the database under /var/lib/fairtill, settings in /etc/fairtill
# readable by that user's group only, the service as systemd would run it (a plain process as
# that user where systemd is not running), health and readiness, a device enrolled; then removes
# the package and checks that the data stays, and purges it and checks again.
# Usage: scripts/test-package.sh [package.deb]   (default: scripts/package.sh --from-test-build)
set -euo pipefail
cd "$(dirname "$0")/.."
deb="${1:-}"
if [ -z "$deb" ]; then
  deb=$(bash scripts/package.sh --from-test-build | tail -n1)
fi
fail() { echo "package test: $*" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  dpkg --purge fairtill-server >/dev/null 2>&1 || true
  rm -rf /var/lib/fairtill /etc/fairtill
  getent passwd fairtill >/dev/null && userdel fairtill || true
  getent group fairtill >/dev/null && groupdel fairtill || true
}
# The test installs, runs and purges the package and removes its data and user afterwards: on a
# machine that runs a real Fairtill server it would take that server's place, so it refuses.
if dpkg-query -W -f='${Status}' fairtill-server 2>/dev/null | grep -q "install ok installed" \
  || [ -e /var/lib/fairtill ] || [ -e /etc/fairtill ] || getent passwd fairtill >/dev/null; then
  fail "this machine has a Fairtill server installed (package, /var/lib/fairtill, /etc/fairtill or the fairtill user); the package test would replace it"
fi
trap cleanup EXIT

dpkg -i "$deb" >/dev/null
[ -x /usr/bin/fairtill-server ] || fail "/usr/bin/fairtill-server is not installed"
[ -f /usr/lib/systemd/system/fairtill-server.service ] || fail "no systemd unit"
getent passwd fairtill >/dev/null || fail "no fairtill system user"
# The unit as systemd reads it (works without a running systemd).
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify /usr/lib/systemd/system/fairtill-server.service || fail "the unit does not verify"
fi
[ "$(stat -c '%U:%G %a' /var/lib/fairtill)" = "fairtill:fairtill 750" ] || fail "/var/lib/fairtill: $(stat -c '%U:%G %a' /var/lib/fairtill)"
[ "$(stat -c '%U:%G %a' /etc/fairtill/server.env)" = "root:fairtill 640" ] || fail "server.env: $(stat -c '%U:%G %a' /etc/fairtill/server.env)"
# Another user cannot read the settings (where the secrets' files are named).
if runuser -u nobody -- cat /etc/fairtill/server.env >/dev/null 2>&1; then fail "server.env is readable by others"; fi

# Run it as the unit does: as fairtill, with the settings file's environment, in its folder.
exec_line=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/fairtill-server.service)
runuser -u fairtill -- bash -c "cd /var/lib/fairtill && set -a && . /etc/fairtill/server.env && set +a && FAIRTILL_BIND=127.0.0.1:$port exec $exec_line" \
  >/tmp/fairtill-package-test.out 2>/tmp/fairtill-package-test.err &
server_pid=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"alive"' || fail "healthz: $(cat /tmp/fairtill-package-test.err)"
curl -fsS "http://127.0.0.1:$port/readyz" | grep -q '"ready"' || fail "readyz"
[ -f /var/lib/fairtill/server.db ] || fail "the database is not in /var/lib/fairtill"
[ "$(stat -c '%U' /var/lib/fairtill/server.db)" = fairtill ] || fail "the database is not the fairtill user's"

# Enroll a device with a code made by the operator's console.
code=$(runuser -u fairtill -- bash -c 'set -a && . /etc/fairtill/server.env && set +a && fairtill-server device add --name "Booth 1"' | sed -n 's/.*: \([A-Z0-9-]*\)$/\1/p' | head -n1)
[ -n "$code" ] || fail "no enrollment code"
answer=$(curl -fsS -H 'fairtill-api-version: 3' -H 'content-type: application/json' \
  -d "{\"code\":\"$code\",\"device_id\":\"0190a000-0000-7000-8000-0000000000a1\",\"device_code\":\"B1\"}" \
  "http://127.0.0.1:$port/v1/enroll") || fail "enroll"
echo "$answer" | grep -q '"token"' || fail "enroll answered $answer"
# SIGTERM to the server itself, as systemd stops it: a clean exit (runuser passes its status on).
kill -TERM "$(pgrep -u fairtill -f 'fairtill-server serve')"
wait "$server_pid" || fail "the server did not exit cleanly on SIGTERM"
server_pid=

# Removed, the program goes and the data stays; purged, the data still stays.
dpkg -r fairtill-server >/dev/null
[ ! -e /usr/bin/fairtill-server ] || fail "the program is still there after removal"
[ -f /var/lib/fairtill/server.db ] || fail "the database went with the package"
[ -f /etc/fairtill/server.env ] || fail "the settings went with a removal (they go on purge)"
dpkg --purge fairtill-server >/dev/null
[ -f /var/lib/fairtill/server.db ] || fail "the database went with a purge"
sqlite_rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from devices").fetchone()[0])' /var/lib/fairtill/server.db)
[ "$sqlite_rows" = 1 ] || fail "the kept database has $sqlite_rows devices, not 1"
echo "package test: $(basename "$deb") installs, serves as its own user, enrolls a device, and leaves its data when removed"

#!/usr/bin/env bash
# Installs Fairtill's two Debian packages on this machine (as root) and checks them as an
# operator and a booth worker would.
# - The server: its own system user, the database under /var/lib/fairtill, settings in
#   /etc/fairtill readable by that user's group only, the service as systemd would run it (a
#   plain process as that user where systemd is not running), health and readiness, a device
#   enrolled.
# - The app: its desktop entry and icons; started by that entry's command on its default
#   database, it connects to the installed server with a one-time code, sells and syncs
#   (tests/installed_app.rs, in the real window), and the sale is in the server's database.
# Then each package is removed and its data must stay (and purged, for the server).
# Usage: scripts/test-package.sh [server.deb app.deb]   (default: scripts/package.sh --from-test-build)
set -euo pipefail
cd "$(dirname "$0")/.."
server_deb="${1:-}"
app_deb="${2:-}"
if [ -z "$server_deb" ] || [ -z "$app_deb" ]; then
  built=$(bash scripts/package.sh --from-test-build | tail -n2)
  server_deb=$(echo "$built" | sed -n 1p)
  app_deb=$(echo "$built" | sed -n 2p)
fi
fail() { echo "package test: $*" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server_pid=
app_home=$(mktemp -d)
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  dpkg --purge fairtill >/dev/null 2>&1 || true
  rm -rf "$app_home"
  dpkg --purge fairtill-server >/dev/null 2>&1 || true
  rm -rf /var/lib/fairtill /etc/fairtill
  getent passwd fairtill >/dev/null && userdel fairtill || true
  getent group fairtill >/dev/null && groupdel fairtill || true
}
# The test installs, runs and purges the packages and removes their data and user afterwards: on
# a machine that runs a real Fairtill server or till it would take their place, so it refuses.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if installed fairtill-server || [ -e /var/lib/fairtill ] || [ -e /etc/fairtill ] || getent passwd fairtill >/dev/null; then
  fail "this machine has a Fairtill server installed (package, /var/lib/fairtill, /etc/fairtill or the fairtill user); the package test would replace it"
fi
if installed fairtill; then
  fail "this machine has the Fairtill app installed (package fairtill); the package test would remove it"
fi
trap cleanup EXIT

dpkg -i "$server_deb" >/dev/null
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

# The app's package: its program, a desktop entry that validates, its icons.
# dpkg -i fails here if a library it depends on is missing.
dpkg -i "$app_deb" >/dev/null
entry=/usr/share/applications/Fairtill.desktop
[ -f "$entry" ] || fail "no desktop entry $entry"
desktop-file-validate "$entry" || fail "the desktop entry does not validate"
grep -qx 'Name=Fairtill' "$entry" || fail "the desktop entry is not named Fairtill"
icon=$(sed -n 's/^Icon=//p' "$entry")
ls /usr/share/icons/hicolor/*/apps/"$icon".png >/dev/null 2>&1 || fail "no icon $icon in the hicolor theme"
# What the menu starts: the entry's command, without its field codes (%U and the like).
exec_word=$(sed -n 's/^Exec=//p' "$entry" | tr ' ' '\n' | grep -v '^%' | head -n1)
app_program=$(command -v "$exec_word") || fail "the entry's command $exec_word is not on the PATH"

# A booth worker's first sale on the installed app, synced to the installed server, in the real
# window (a private display, and a private Secret Service for the till's token). The app keeps
# its database where it would for this user: $XDG_DATA_HOME/app.fairtill.till/.
app_code=$(runuser -u fairtill -- bash -c 'set -a && . /etc/fairtill/server.env && set +a && fairtill-server device add --name "Market till"' | sed -n 's/.*: \([A-Z0-9-]*\)$/\1/p' | head -n1)
[ -n "$app_code" ] || fail "no enrollment code for the app"
XDG_DATA_HOME="$app_home" FAIRTILL_INSTALLED_APP="$app_program" FAIRTILL_SERVER_URL="http://127.0.0.1:$port" \
  FAIRTILL_ENROLL_CODE="$app_code" dbus-run-session -- bash -c \
  'echo -n fairtill-ci | gnome-keyring-daemon --components=secrets --daemonize --unlock >/dev/null && cargo test -q --test installed_app -- --ignored' \
  || fail "the installed app did not sell and sync"
till_db="$app_home/app.fairtill.till/fairtill.db"
[ -f "$till_db" ] || fail "the app did not keep its database in $app_home/app.fairtill.till"
orders=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from orders where staff = ?", ("Ana",)).fetchone()[0])' /var/lib/fairtill/server.db)
[ "$orders" = 1 ] || fail "the server has $orders of the app's sales, not 1"

# SIGTERM to the server itself, as systemd stops it: a clean exit (runuser passes its status on).
kill -TERM "$(pgrep -u fairtill -f 'fairtill-server serve')"
wait "$server_pid" || fail "the server did not exit cleanly on SIGTERM"
server_pid=

# Removed, a program goes and its data stays; the server's, purged, still stays.
dpkg -r fairtill >/dev/null
[ ! -e /usr/bin/fairtill-app ] || fail "the app is still there after removal"
[ ! -e "$entry" ] || fail "the desktop entry is still there after removal"
[ -f "$till_db" ] || fail "the till's database went with the app's package"
dpkg -r fairtill-server >/dev/null
[ ! -e /usr/bin/fairtill-server ] || fail "the program is still there after removal"
[ -f /var/lib/fairtill/server.db ] || fail "the database went with the package"
[ -f /etc/fairtill/server.env ] || fail "the settings went with a removal (they go on purge)"
dpkg --purge fairtill-server >/dev/null
[ -f /var/lib/fairtill/server.db ] || fail "the database went with a purge"
sqlite_rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from devices").fetchone()[0])' /var/lib/fairtill/server.db)
[ "$sqlite_rows" = 2 ] || fail "the kept database has $sqlite_rows devices, not 2"
echo "package test: $(basename "$server_deb") installs, serves as its own user and enrolls a device; $(basename "$app_deb") installs, sells and syncs with it; both leave their data when removed"

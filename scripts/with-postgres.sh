#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster, exports BROKERCTL_TEST_POSTGRES with
# its URL, runs CMD, then stops and deletes the cluster, exiting with CMD's
# exit code. The cluster listens on 127.0.0.1 only, on a free port, with
# trust authentication for loopback connections, and its data directory is
# a fresh temporary directory. When run as root, the server runs as the
# "postgres" user (created as a system user if it does not exist), since
# PostgreSQL refuses to run as root.
#
# Example: bash scripts/with-postgres.sh go test ./pkg/state/...
set -euo pipefail

if [ "$#" -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

log() { echo "with-postgres: $*" >&2; }

# Find initdb and pg_ctl: PATH first, then the Debian layout (newest version).
find_bin() {
	local name=$1 dir
	if command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
		return 0
	fi
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$dir/$name" ]; then
			echo "$dir/$name"
			return 0
		fi
	done
	return 1
}
INITDB=$(find_bin initdb) || { log "initdb not found on PATH or under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"; exit 127; }
PG_CTL=$(find_bin pg_ctl) || { log "pg_ctl not found on PATH or under /usr/lib/postgresql/*/bin"; exit 127; }
BINDIR=$(dirname "$(readlink -f "$INITDB")")
PSQL="$BINDIR/psql"
[ -x "$PSQL" ] || PSQL=$(command -v psql || true)

# A free loopback port: ask the kernel for one.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p
	for p in $(seq 54320 54420); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	return 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/with-postgres.XXXXXX")
DATA="$TMP/data"
SOCK="$TMP/sock"
mkdir -p "$SOCK"

# Run as an unprivileged user when we are root.
RUN=()
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		log "creating system user postgres"
		useradd --system --no-create-home --shell /usr/sbin/nologin postgres
	fi
	chown -R postgres: "$TMP"
	chmod 0755 "$TMP"
	if command -v runuser >/dev/null 2>&1; then
		RUN=(runuser -u postgres --)
	else
		RUN=(su -s /bin/sh postgres -c '"$0" "$@"')
	fi
fi

# as_pg runs a PostgreSQL tool as the server's user, from a directory that
# user can enter (the caller's may be private, e.g. under /root).
as_pg() { (cd "$TMP" && "${RUN[@]}" "$@"); }

STARTED=0
cleanup() {
	if [ "$STARTED" = 1 ]; then
		as_pg "$PG_CTL" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$INITDB" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$TMP/initdb.log" 2>&1 || {
	cat "$TMP/initdb.log" >&2
	log "initdb failed"
	exit 1
}
# Only loopback, trust there (initdb --auth=trust already wrote that).
cat >"$DATA/pg_hba.conf" <<'EOF'
local all all trust
host  all all 127.0.0.1/32 trust
EOF

started=false
for attempt in 1 2 3 4 5; do
	PORT=$(free_port)
	if as_pg "$PG_CTL" -D "$DATA" -l "$TMP/server.log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
		started=true
		break
	fi
	log "start on port $PORT failed (attempt $attempt)"
done
if ! $started; then
	cat "$TMP/server.log" >&2 || true
	log "could not start PostgreSQL"
	exit 1
fi
STARTED=1

DB=brokerctl_test
if [ -n "$PSQL" ]; then
	as_pg "$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $DB" >/dev/null
else
	DB=postgres
fi

export BROKERCTL_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"
log "PostgreSQL $("$INITDB" --version | awk '{print $3}') on 127.0.0.1:$PORT; BROKERCTL_TEST_POSTGRES=$BROKERCTL_TEST_POSTGRES"

set +e
"$@"
status=$?
set -e
exit "$status"

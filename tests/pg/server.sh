# SPDX-License-Identifier: ISC
# Sourced by tests/pg/*.sh: a private PostgreSQL server for the tests.
#   pg_start DIR   initdb into DIR/data as the postgres user (fsync off, unless
#                  PG_FSYNC=on: bench/pg.sh measures a durable server), listen only on
#                  a unix socket in DIR/sock (no TCP), create role odin with
#                  a password and database odin; sets PG_SOCK, PG_CONNINFO,
#                  PG_PWFILE (root 0600), PG_KEY (root 0600).
#   pg_stop        fast shutdown (idempotent)
#   pg_standby PDIR DIR NAME   a streaming standby of the server started in
#                  PDIR (pg_basebackup), socket DIR/sock, application_name
#                  NAME; sets SB_SOCK
#   pg_at SOCK SQL runs SQL as the superuser on the server at SOCK
#   pg_stop_dir DIR, pg_stop_all   immediate stops (one server, every one)
#   pg_psql SQL    runs SQL as the superuser in database odin
#   pg_pooler DIR USER:PASSWORD...   a pgbouncer (transaction pooling) in
#                  front of the server started last, on a unix socket in DIR
#                  only (mode 0700), for the users given, ignoring the
#                  startup parameter options; sets POOL_DIR, POOL_SOCK,
#                  POOL_PORT (README: a pooler in front)
#   pg_pooler_stop stops it (idempotent)
#   pg_role_limits ROLE SECONDS [server]   the session limits pam_odin sends
#                  as startup options (store_pg.c), set on ROLE in database
#                  odin instead, for a pooler that drops them
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}

pg_as() { runuser -u postgres -- "$@"; }

pg_start() {
	PG_DIR=$1
	mkdir -p "$PG_DIR"
	chmod 755 "$PG_DIR"
	install -d -o postgres -g postgres -m 700 "$PG_DIR/data"
	install -d -o postgres -g postgres -m 755 "$PG_DIR/sock"
	PG_SOCK=$PG_DIR/sock
	echo pgsuper >"$PG_DIR/superpw"
	chown postgres "$PG_DIR/superpw"
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -A scram-sha-256 -U postgres \
		--pwfile="$PG_DIR/superpw" -E UTF8 --no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log"; return 1; }
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$PG_SOCK' -c fsync=${PG_FSYNC:-off} -c max_connections=120" \
		start >/dev/null || { cat "$PG_DIR/data/server.log"; return 1; }
	PGPASSWORD=pgsuper pg_as "$PG_BIN/psql" -qX -h "$PG_SOCK" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -c "CREATE ROLE odin LOGIN CREATEROLE PASSWORD 'odin-db-pw'" \
		-c "CREATE DATABASE odin OWNER odin" >/dev/null || return 1
	PG_PWFILE=$PG_DIR/pgpass
	( umask 077; echo odin-db-pw >"$PG_PWFILE" )
	PG_KEY=$PG_DIR/key
	( umask 077; openssl rand -hex 32 >"$PG_KEY" )
	PG_CONNINFO="host=$PG_SOCK dbname=odin user=odin"
	PG_ALL_DIRS="${PG_ALL_DIRS:-} $PG_DIR"
	export PG_SOCK PG_CONNINFO PG_PWFILE PG_KEY PG_DIR PG_ALL_DIRS
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	return 0
}

# pg_stop_dir DIR: an immediate stop of the server in DIR (a crash, as far as it knows)
pg_stop_dir() {
	[ -f "$1/data/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1
	return 0
}

# every server started here (the exit trap)
pg_stop_all() {
	local d
	for d in ${PG_ALL_DIRS:-}; do pg_stop_dir "$d"; done
	return 0
}

pg_psql() {
	PGPASSWORD=pgsuper "$PG_BIN/psql" -qXtA -h "$PG_SOCK" -U postgres -d odin -v ON_ERROR_STOP=1 -c "$1"
}

pg_at() {
	PGPASSWORD=pgsuper "$PG_BIN/psql" -qXtA -h "$1" -U postgres -d odin -v ON_ERROR_STOP=1 -c "$2"
}

pg_standby() {
	local P=$1 D=$2 name=$3
	mkdir -p "$D"
	chmod 755 "$D"
	install -d -o postgres -g postgres -m 700 "$D/data"
	install -d -o postgres -g postgres -m 755 "$D/sock"
	PGPASSWORD=pgsuper pg_as "$PG_BIN/pg_basebackup" -h "$P/sock" -U postgres -D "$D/data" \
		-X stream -R -c fast >"$D/basebackup.log" 2>&1 || { cat "$D/basebackup.log"; return 1; }
	# who it follows, under its own name (the primary's synchronous_standby_names)
	echo "primary_conninfo = 'host=$P/sock user=postgres password=pgsuper application_name=$name'" |
		pg_as tee -a "$D/data/postgresql.auto.conf" >/dev/null
	pg_as "$PG_BIN/pg_ctl" -D "$D/data" -l "$D/data/server.log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories='$D/sock' -c fsync=off -c max_connections=120" \
		start >/dev/null || { cat "$D/data/server.log"; return 1; }
	PG_ALL_DIRS="${PG_ALL_DIRS:-} $D"
	SB_SOCK=$D/sock
}

pg_pooler() {
	local D=$1 u
	shift
	command -v pgbouncer >/dev/null || { echo "pg_pooler: no pgbouncer (apt-get install pgbouncer)" >&2; return 1; }
	install -d -o postgres -g postgres -m 755 "$D"
	POOL_DIR=$D POOL_SOCK=$D POOL_PORT=6432
	: >"$D/userlist.txt"
	for u in "$@"; do printf '"%s" "%s"\n' "${u%%:*}" "${u#*:}" >>"$D/userlist.txt"; done
	cat >"$D/pgbouncer.ini" <<EOC
[databases]
odin = host=$PG_SOCK dbname=odin
[pgbouncer]
listen_addr =
unix_socket_dir = $D
unix_socket_mode = 0700
listen_port = $POOL_PORT
auth_type = scram-sha-256
auth_file = $D/userlist.txt
pool_mode = transaction
ignore_startup_parameters = options
max_client_conn = 200
default_pool_size = 20
logfile = $D/pgbouncer.log
pidfile = $D/pgbouncer.pid
EOC
	chown postgres:postgres "$D/pgbouncer.ini" "$D/userlist.txt"
	chmod 600 "$D/userlist.txt"
	pg_as pgbouncer -d -q "$D/pgbouncer.ini" || { cat "$D/pgbouncer.log" 2>/dev/null; return 1; }
	for u in $(seq 50); do [ -S "$D/.s.PGSQL.$POOL_PORT" ] && break; sleep 0.1; done
	[ -S "$D/.s.PGSQL.$POOL_PORT" ] || { cat "$D/pgbouncer.log"; return 1; }
	export POOL_DIR POOL_SOCK POOL_PORT
}

pg_pooler_stop() {
	[ -n "${POOL_DIR:-}" ] && [ -f "$POOL_DIR/pgbouncer.pid" ] &&
		kill "$(cat "$POOL_DIR/pgbouncer.pid")" 2>/dev/null
	return 0
}

pg_role_limits() {
	local role=$1 t=$2 lt
	lt=$(( t * 1000 - 500 ))
	[ "${3:-}" = server ] && lt=$(( lt / 2 ))
	pg_psql "ALTER ROLE $role IN DATABASE odin SET statement_timeout = '${t}s'" >/dev/null &&
	pg_psql "ALTER ROLE $role IN DATABASE odin SET lock_timeout = '${lt}ms'" >/dev/null &&
	pg_psql "ALTER ROLE $role IN DATABASE odin SET idle_in_transaction_session_timeout = '$(( 4 * t + 10 ))s'" >/dev/null
}

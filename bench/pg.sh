#!/bin/bash
# SPDX-License-Identifier: ISC
#
# bench/pg.sh [BUILD_DIR] [N]: pam_odin on the files backend beside the
# postgresql backend (a private local server over a unix socket, started
# and stopped here with tests/pg/server.sh; fsync on for the files store,
# the server as tests/pg runs it).  Prints two tables:
#   1. p50/p90 wall time of one login process (tests/pam_harness:
#      pam_start .. pam_authenticate .. pam_end, one successful TOTP login,
#      N logins each at a fresh step, the stacks interleaved), with a
#      pam_permit-only stack as the floor (process start, libpam,
#      faketime): module cost = p50 - floor; and the connection floor,
#      bench/pam_pg_floor.c (connect as the plugin does, SELECT 1): the
#      issue's target is a postgresql login p50 <= that + 1.5 ms, in
#      host-key mode and in server mode (pg_verify = server, a fresh user
#      per login since the database's clock is the real one); and the same
#      through a pgbouncer in transaction pooling in front of the server
#      (tests/pg/server.sh pg_pooler), beside its own connection floor:
#      the server processes then outlive the login (README: a pooler in
#      front), with the floor of server mode's protocol beside it (the
#      row read, then one CALL committing the count without waiting for
#      the disk and then the verdict durably, checking nothing); skipped,
#      and said so, without pgbouncer;
#   2. the race: 32 concurrent logins presenting one code, 5 rounds:
#      successes per round (must be 1) and the wall time of a round.
# Needs root (private mount namespace, root-owned stores), the Debian
# package postgresql, oathtool, faketime (and pgbouncer for the pooled rows).  The server's data directory is
# under /tmp: its fsync costs what that disk's does.  BUILD_DIR defaults to the
# current directory; N to 31.  Small on purpose: the machine is shared.
set -u

if [ -z "${ODIN_BENCH_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench/pg.sh: needs root"; exit 2; }
	exec env ODIN_BENCH_NS=1 unshare -m --propagation private -- bash "$0" "$@"
fi

B=$(cd "${1:-.}" && pwd)
N=${2:-31}
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$B/pam_odin/.libs/pam_odin.so
H=$B/tests/pam_harness
RT=$B/tests/recordtool
PLUGIN=$B/common/.libs/odin_store_pg.so
for f in "$MOD" "$H" "$RT" "$PLUGIN"; do
	[ -e "$f" ] || { echo "bench/pg.sh: missing $f (build with libpq, make check programs)"; exit 2; }
done
. "$HERE/../tests/pg/server.sh"
[ -x "$PG_BIN/initdb" ] || { echo "bench/pg.sh: no PostgreSQL server (apt-get install postgresql)"; exit 2; }
export TZ=UTC

T=$(mktemp -d /tmp/odin_pg_bench.XXXXXX)
chmod 755 "$T"
FS=$(mktemp -d /var/tmp/odin_pg_bench.XXXXXX)	# the files store on the real disk
LOGPID=
cleanup() {
	pg_pooler_stop
	pg_stop
	[ -n "$LOGPID" ] && kill "$LOGPID" 2>/dev/null && wait "$LOGPID" 2>/dev/null
	rm -rf --one-file-system "$T" "$FS"
}
trap cleanup EXIT

mount -t tmpfs -o mode=0755 odin-dev /dev || exit 2
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd
mkdir -m 1777 /dev/shm && mount -t tmpfs -o mode=1777 odin-shm /dev/shm
"$H" -L /dev/log /dev/null & LOGPID=$!
for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
cp /etc/passwd "$T/passwd"
echo "benchu:x:4911:4911::/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
echo "benchp:x:4912:4911::/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
for i in $(seq 1 "$((2 * N))"); do echo "benchs$i:x:$((6000 + i)):4911::/nonexistent:/usr/sbin/nologin"; done >> "$T/passwd"
mount --bind "$T/passwd" /etc/passwd || exit 2

# a server that makes every commit durable, as a real one does (fsync on, the
# default synchronous_commit): a login's commits are part of its cost
PG_FSYNC=on pg_start "$T/pg" >/dev/null || { echo "bench/pg.sh: cannot start PostgreSQL"; exit 2; }

SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
T0=1699999995
mkdir -m 700 "$FS/store" "$FS/store/users" "$FS/store/locks"
printf 'max_failures = 1000\nstore_dir = %s\n' "$FS/store" > "$T/files.conf"
printf 'max_failures = 1000\nbackend = postgresql\npg_plugin = %s\npg_conninfo = %s\npg_password_file = %s\nsecret_key_file = %s\npg_connect_timeout = 5\npg_statement_timeout = 5\nstore_dir = %s/unused\n' \
    "$PLUGIN" "$PG_CONNINFO" "$PG_PWFILE" "$PG_KEY" "$T" > "$T/postgresql.conf"
chmod 644 "$T/files.conf" "$T/postgresql.conf"
"$RT" "$T/postgresql.conf" init || exit 2
# pg_verify = server: the owner's config installs the functions; the host connects as
# a member of odin_verifier, with no key (one user per login: the database's clock
# makes every login of a round fall in the same step)
sed -e 's/^secret_key_file = .*/pg_verify = server/' "$T/postgresql.conf" > "$T/server.conf"
"$RT" "$T/server.conf" init || exit 2
pg_psql "CREATE ROLE odin_bsrv LOGIN PASSWORD 'bsrv-pw' IN ROLE odin_verifier" >/dev/null || exit 2
( umask 077; echo bsrv-pw > "$T/bsrv.pw" )
sed -e "s|^pg_conninfo = .*|pg_conninfo = host=$PG_SOCK dbname=odin user=odin_bsrv|" \
    -e "s|^pg_password_file = .*|pg_password_file = $T/bsrv.pw|" "$T/server.conf" > "$T/pgserver.conf"
chmod 644 "$T/server.conf" "$T/pgserver.conf"
# the database floors, made as the owner: a design where the database judges, one
# SECURITY DEFINER function that locks the row and commits a change of it
# (pam_pg_floor.c fn); server mode's protocol, the count committed (not waited
# for) before the verdict, then the verdict durable, no check (pam_pg_floor.c row two)
PGPASSWORD=$(cat "$PG_PWFILE") "$PG_BIN/psql" -qX -h "$PG_SOCK" -U odin -d odin -v ON_ERROR_STOP=1 -c \
    "CREATE FUNCTION odin_bench_floor(u text) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS \$f\$
     DECLARE r users%ROWTYPE; BEGIN SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;
     UPDATE users SET updated = r.updated WHERE user_name = u; RETURN 'ok'; END \$f\$;
     CREATE PROCEDURE odin_bench_floor2(u text) LANGUAGE plpgsql AS \$f\$
     DECLARE r users%ROWTYPE; BEGIN
     PERFORM set_config('synchronous_commit', 'off', true);
     SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;
     UPDATE users SET updated = r.updated WHERE user_name = u; COMMIT;
     PERFORM set_config('synchronous_commit', 'on', true);
     SELECT * INTO r FROM users WHERE user_name = u FOR UPDATE;
     UPDATE users SET updated = r.updated WHERE user_name = u; END \$f\$" >/dev/null ||
    { echo "bench/pg.sh: cannot make the database floors"; exit 2; }
mkdir -p "$T/pam.d"
echo "auth required pam_permit.so" > "$T/pam.d/floor"
# the connection floor: a module that connects as the plugin does, SELECT 1, nothing else;
# NODELETE as pam_odin.so and its plugin are, so that neither side pays for unloading
# libpq and its libraries at pam_end and the floor is the connection's cost alone
${CC:-cc} -O2 -Wall -Wextra -shared -fPIC -Wl,-z,nodelete -o "$T/pam_pg_floor.so" "$HERE/pam_pg_floor.c" \
    -I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" -lpq -lpam ||
    { echo "bench/pg.sh: cannot build bench/pam_pg_floor.c"; exit 2; }
echo "$PG_CONNINFO" > "$T/conninfo"
echo "auth required $T/pam_pg_floor.so conninfo_file=$T/conninfo password_file=$PG_PWFILE" > "$T/pam.d/pgfloor"
echo "auth required $T/pam_pg_floor.so conninfo_file=$T/conninfo password_file=$PG_PWFILE row" > "$T/pam.d/pgrow"
echo "auth required $T/pam_pg_floor.so conninfo_file=$T/conninfo password_file=$PG_PWFILE row write" > "$T/pam.d/pgwrite"
echo "auth required $T/pam_pg_floor.so conninfo_file=$T/conninfo password_file=$PG_PWFILE fn" > "$T/pam.d/pgfn"
# the same through a pooler: host-key mode as odin, server mode as odin_bsrv
POOLED=
if command -v pgbouncer >/dev/null && pg_pooler "$T/pool" odin:odin-db-pw odin_bsrv:bsrv-pw &&
    pg_role_limits odin 5 && pg_role_limits odin_bsrv 5 server; then
	POOLED=1
	PC="host=$POOL_SOCK port=$POOL_PORT dbname=odin"
	sed -e "s|^pg_conninfo = .*|pg_conninfo = $PC user=odin|" "$T/postgresql.conf" > "$T/pooled.conf"
	sed -e "s|^pg_conninfo = .*|pg_conninfo = $PC user=odin_bsrv|" "$T/pgserver.conf" > "$T/pooledsrv.conf"
	chmod 644 "$T/pooled.conf" "$T/pooledsrv.conf"
	echo "$PC user=odin" > "$T/pconninfo"
	echo "auth required $T/pam_pg_floor.so conninfo_file=$T/pconninfo password_file=$PG_PWFILE" > "$T/pam.d/poolfloor"
	echo "auth required $T/pam_pg_floor.so conninfo_file=$T/pconninfo password_file=$PG_PWFILE row write" > "$T/pam.d/poolwrite"
	echo "auth required $T/pam_pg_floor.so conninfo_file=$T/pconninfo password_file=$PG_PWFILE row two" > "$T/pam.d/pooltwo"
else
	echo "bench/pg.sh: no pgbouncer: the pooled rows are left out" >&2
fi
for b in files postgresql pgserver ${POOLED:+pooled pooledsrv}; do
	echo "auth required $MOD config=$T/$b.conf" > "$T/pam.d/$b"
done
rec() {	# rec CONF [USER]
	printf 'odin-mfa-record 1\nstate enabled\nsecret %s\nalgorithm SHA1\ndigits 6\nperiod 30\nlast_step 0\nfailures 0\nlockout_until 0\nlockout_count 0\nbackup_kdf none\ncreated 1690000000\nupdated 1690000000\nend\n' "$SECRET" |
	    "$RT" "$T/$1.conf" put "${2:-benchu}"
}
for i in $(seq 1 "$((2 * N))"); do rec server "benchs$i" || exit 2; done
at() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S'; }

# lat SERVICE...: N rounds, each one login per service in turn (interleaved,
# so that the machine's noise falls on every column alike), each login a
# process at a fresh step; leaves the times in $T/ms.SERVICE (us)
lat() {
	local svc i t c s e u ft cc
	for svc in "$@"; do : > "$T/ms.$svc"; done
	for i in $(seq 1 "$N"); do
		t=$((T0 + 30 * i))
		c=$(oathtool --totp -b -N "@$t" "$SECRET")
		for svc in "$@"; do
			u=benchu ft=$(at "$t") cc=$c
			[ "$svc" = pooled ] && u=benchp
			if [ "$svc" = pgserver ] || [ "$svc" = pooledsrv ]; then	# the database's clock: the real one
				u=benchs$i ft=$(date -u '+%Y-%m-%d %H:%M:%S') cc=$(oathtool --totp -b "$SECRET")
				[ "$svc" = pooledsrv ] && u=benchs$((N + i))
			fi
			s=$(date +%s%N)
			faketime -f "$ft" "$H" -d "$T/pam.d" -r "$cc" "$svc" "$u" > "$T/out" 2>&1
			e=$(date +%s%N)
			grep -q '^RESULT PAM_SUCCESS$' "$T/out" ||
			    { echo "bench/pg.sh: $svc login $i failed: $(cat "$T/out")" >&2; exit 1; }
			echo $(( (e - s) / 1000 )) >> "$T/ms.$svc"
		done
	done
}
# pct SERVICE: "p50 p90" in ms of lat's times
pct() {
	sort -n "$T/ms.$1" | awk '{ v[NR] = $1 } END { printf "%.1f %.1f", v[int((NR + 1) / 2)] / 1000, v[int(NR * 0.9 + 0.5)] / 1000 }'
}

# race SERVICE: 32 logins with one code, 5 rounds; prints "wins-per-round mean-round-ms"
race() {
	local svc=$1 r t c i s e wins list="" total=0
	for r in 1 2 3 4 5; do
		t=$((T0 + 30 * (N + 10 + r)))
		c=$(oathtool --totp -b -N "@$t" "$SECRET")
		rm -rf "$T/bar"; mkdir "$T/bar"
		pids=()
		for i in $(seq 32); do
			faketime -f "$(at "$t")" "$H" -d "$T/pam.d" -b "$T/bar" -r "$c" "$svc" benchu > "$T/race.$i" 2>&1 &
			pids+=($!)
		done
		for i in $(seq 400); do [ "$(ls "$T/bar" | wc -l)" -ge 32 ] && break; sleep 0.05; done
		s=$(date +%s%N)
		touch "$T/bar/go"
		wait "${pids[@]}"
		e=$(date +%s%N)
		wins=$(cat "$T"/race.* | grep -c '^RESULT PAM_SUCCESS$')
		list="$list${list:+,}$wins"
		total=$((total + (e - s) / 1000000))
		rm -f "$T"/race.*
	done
	echo "$list $((total / 5))"
}

rec files; rec postgresql; rec postgresql benchp
lat floor pgfloor pgrow pgwrite pgfn files postgresql pgserver ${POOLED:+poolfloor poolwrite pooltwo pooled pooledsrv}
read -r f50 f90 < <(pct floor)
read -r c50 c90 < <(pct pgfloor)
read -r r50 r90 < <(pct pgrow)
read -r w50 w90 < <(pct pgwrite)
read -r n50 n90 < <(pct pgfn)
read -r a50 a90 < <(pct files)
read -r p50 p90 < <(pct postgresql)
read -r s50 s90 < <(pct pgserver)
if [ -n "$POOLED" ]; then
	read -r pf50 pf90 < <(pct poolfloor)
	read -r pw50 pw90 < <(pct poolwrite)
	read -r pt50 pt90 < <(pct pooltwo)
	read -r ph50 ph90 < <(pct pooled)
	read -r ps50 ps90 < <(pct pooledsrv)
fi
rec files; rec postgresql
read -r fw fms < <(race files)
read -r pw pms < <(race postgresql)

echo "## pam_odin: files vs postgresql (bench/pg.sh, N=$N, $(nproc) CPUs, $(date -u +%Y-%m-%d))"
echo
echo "| stack | p50 login process (ms) | p90 (ms) | module p50 over the floor (ms) |"
echo "|---|---|---|---|"
echo "| pam_permit only (floor) | $f50 | $f90 | - |"
echo "| pam_odin, files (/var/tmp, fsync) | $a50 | $a90 | $(awk -v a="$a50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| connection floor: connect + SELECT 1 (bench/pam_pg_floor.c) | $c50 | $c90 | $(awk -v a="$c50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| row floor: connect + read the user's row and backup codes (pam_pg_floor.c row) | $r50 | $r90 | $(awk -v a="$r50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| row + write floor: that, then one UPDATE of the row committed (pam_pg_floor.c row write) | $w50 | $w90 | $(awk -v a="$w50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| function floor: connect + one SECURITY DEFINER plpgsql call that locks and updates the row (pam_pg_floor.c fn) | $n50 | $n90 | $(awk -v a="$n50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| pam_odin, postgresql, host-key mode (local server, unix socket, scram-sha-256, fsync on) | $p50 | $p90 | $(awk -v a="$p50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
echo "| pam_odin, postgresql, server mode (pg_verify = server: the database checks, the host holds no key) | $s50 | $s90 | $(awk -v a="$s50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
if [ -n "$POOLED" ]; then
	echo "| through pgbouncer (transaction pooling, unix socket, scram-sha-256): connection floor, connect + SELECT 1 | $pf50 | $pf90 | $(awk -v a="$pf50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
	echo "| through pgbouncer: row + write floor | $pw50 | $pw90 | $(awk -v a="$pw50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
	echo "| through pgbouncer: two-transaction floor: the row read, then one CALL that commits an UPDATE of it without waiting for the disk, then a second one durably (server mode's protocol, checking nothing; pam_pg_floor.c row two) | $pt50 | $pt90 | $(awk -v a="$pt50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
	echo "| through pgbouncer: pam_odin, host-key mode | $ph50 | $ph90 | $(awk -v a="$ph50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
	echo "| through pgbouncer: pam_odin, server mode | $ps50 | $ps90 | $(awk -v a="$ps50" -v f="$f50" 'BEGIN { printf "%.1f", a - f }') |"
fi
echo
# verdict WHAT LOGIN-P50 FLOOR-P50: the issue's target, said for one row
verdict() {
	local over
	over=$(awk -v a="$2" -v c="$3" 'BEGIN { printf "%.2f", a - c }')
	if awk -v d="$over" 'BEGIN { exit !(d <= 1.5) }'; then
		echo "Target met ($1): a login p50 is $over ms over its connection floor (target <= 1.5 ms)."
	else
		echo "Target missed ($1): a login p50 is $over ms over its connection floor (target <= 1.5 ms)."
	fi
}
verdict "server mode" "$s50" "$c50"
echo "For scale (server mode): a single database function that locks and updates the row costs $(awk -v a="$n50" -v c="$c50" 'BEGIN { printf "%.2f", a - c }') ms over SELECT 1 on a fresh connection (the function floor); pam_odin is $(awk -v a="$s50" -v n="$n50" 'BEGIN { printf "%.2f", a - n }') ms over that."
verdict "host-key mode" "$p50" "$c50"
if [ -n "$POOLED" ]; then
	verdict "host-key mode through pgbouncer" "$ph50" "$pf50"
	verdict "server mode through pgbouncer" "$ps50" "$pf50"
	echo "For scale (through pgbouncer): reading the row and committing one change of it costs $(awk -v a="$pw50" -v c="$pf50" 'BEGIN { printf "%.2f", a - c }') ms over SELECT 1; reading it and committing two changes in one CALL, the first without waiting for the disk (server mode's protocol), $(awk -v a="$pt50" -v c="$pf50" 'BEGIN { printf "%.2f", a - c }') ms; pam_odin's server mode is $(awk -v a="$ps50" -v t="$pt50" 'BEGIN { printf "%.2f", a - t }') ms over that."
fi
echo "For scale: reading the row at all costs $(awk -v a="$r50" -v c="$c50" 'BEGIN { printf "%.2f", a - c }') ms over SELECT 1 on a fresh connection, and reading it then committing one change of it $(awk -v a="$w50" -v c="$c50" 'BEGIN { printf "%.2f", a - c }') ms (the floor of a durable login); pam_odin is $(awk -v a="$p50" -v w="$w50" 'BEGIN { printf "%.2f", a - w }') ms over that."
echo
echo "| race: 32 concurrent logins, one code | successes per round (5 rounds) | mean round wall time (ms) |"
echo "|---|---|---|"
echo "| files (flock, lock/read/check/save) | $fw | $fms |"
echo "| postgresql (conditional UPDATE) | $pw | $pms |"
ok=1
for w in ${fw//,/ } ${pw//,/ }; do [ "$w" -eq 1 ] || ok=0; done
[ $ok -eq 1 ]

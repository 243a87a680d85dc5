#!/bin/bash
# SPDX-License-Identifier: ISC
#
# The postgresql backend against a real, private PostgreSQL server:
# initdb into a temp dir as the postgres user, a unix socket only (no TCP),
# then
#   1. tests/check_store_pg (what only this backend has, incl. 32-process
#      races and migrate files -> postgresql -> files) and
#      tests/check_contract (the record contract every backend keeps, the
#      same cases the unit suite runs on files);
#   2. two "hosts" (two configs, two PAM service dirs, one database):
#      enroll on A (odin-mfa-cli admin import), log in on B, replay on A
#      refused; the secret in the database is sealed;
#   3. the cross-host race: 32 concurrent pam_authenticate() with one code,
#      half through A and half through B -> exactly one success, 10 rounds;
#   4. server stopped -> deny within the timeout, one log line, no hang;
#      the CLI says so in one line too.
# and, before 2: the module and CLI suites (tests/pam_odin.test,
# tests/cli_enroll.test, tests/cli_admin.test) with ODIN_TEST_BACKEND=postgresql;
# before 4: `odin-mfa-cli admin migrate` files -> postgresql -> files, every
# record equivalent in meaning at each hop.
# ODIN_PG_SUITES=0 skips the suites (the CLI ones wait for fresh TOTP steps,
# about a minute).
# Needs root and the Debian package postgresql (server binaries).  Run
# from the top build directory, or pass it as $1.  Runs in a private mount
# namespace with its own /dev/log.
set -u

if [ -z "${ODIN_PG_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
	exec env ODIN_PG_NS=1 unshare -m --propagation private -- bash "$0" "$@"
fi

B=$(cd "${1:-.}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$B/pam_odin/.libs/pam_odin.so
H=$B/tests/pam_harness
CLI=$B/odin-mfa-cli/odin-mfa-cli
RT=$B/tests/recordtool
PLUGIN=$B/common/.libs/odin_store_pg.so	# the postgresql backend (store.h: store plugins)
for f in "$MOD" "$H" "$CLI" "$B/tests/check_store_pg" "$B/tests/check_contract" "$RT" "$PLUGIN"; do
	[ -e "$f" ] || { echo "missing $f: build first (configure with libpq)"; exit 99; }
done
. "$HERE/server.sh"
[ -x "$PG_BIN/initdb" ] || { echo "SKIP: no PostgreSQL server (apt-get install postgresql)"; exit 77; }
export TZ=UTC

T=$(mktemp -d /tmp/odin_pg_test.XXXXXX)
chmod 755 "$T"
LOGPID=
cleanup() {
	pg_stop
	[ -n "$LOGPID" ] && kill "$LOGPID" 2>/dev/null && wait "$LOGPID" 2>/dev/null
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# ---- private /dev with our own log socket, a test user -------------------
mount -t tmpfs -o mode=0755 odin-dev /dev || exit 99
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd
mkdir -m 1777 /dev/shm && mount -t tmpfs -o mode=1777 odin-shm /dev/shm
# ptys for the CLI suites (expect)
mkdir -m 755 /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts &&
	ln -s pts/ptmx /dev/ptmx || exit 99
mknod -m 666 /dev/tty c 5 0
touch "$T/log"
"$H" -L /dev/log "$T/log" & LOGPID=$!
for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
[ -S /dev/log ] || { echo "log reader did not start"; exit 99; }
cp /etc/passwd "$T/passwd"
echo "pgalice:x:4901:4901::/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
mount --bind "$T/passwd" /etc/passwd || exit 99

pass=0 fails=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fails)) - $1"; }
notok() { fails=$((fails + 1)); echo "not ok $((pass + fails)) - $1"; }
check() { if eval "$2"; then ok "$1"; else notok "$1"; fi; }

# ---- the server ------------------------------------------------------------
t0=$(date +%s)
pg_start "$T/pg" || { echo "cannot start PostgreSQL"; exit 99; }
echo "# server up in $(( $(date +%s) - t0 )) s: $PG_CONNINFO"

# ---- 1. the store-level suites ---------------------------------------------
for suite in check_store_pg check_contract; do
	if ODIN_TEST_BACKEND=postgresql ODIN_TEST_PG_CONNINFO=$PG_CONNINFO ODIN_TEST_PG_PWFILE=$PG_PWFILE \
	    ODIN_TEST_PG_KEY=$PG_KEY "$B/tests/$suite" > "$T/check.out" 2>&1; then
		ok "$suite on postgresql: $(grep -o 'Checks: [0-9]*, Failures: 0, Errors: 0' "$T/check.out")"
	else
		notok "$suite on postgresql"; sed 's/^/#   /' "$T/check.out" | tail -n 20
	fi
done

# ---- the module and CLI suites on this backend -------------------------------
if [ "${ODIN_PG_SUITES:-1}" != 0 ]; then
	for suite in pam_odin.test cli_enroll.test cli_admin.test; do
		s0=$(date +%s)
		( cd "$B" && ODIN_TEST_BACKEND=postgresql ODIN_TEST_PG_CONNINFO=$PG_CONNINFO \
		    ODIN_TEST_PG_PWFILE=$PG_PWFILE ODIN_TEST_PG_KEY=$PG_KEY \
		    ODIN_PAM_VALGRIND=0 ODIN_PAM_BENCH=0 bash "$HERE/../$suite" ) > "$T/suite.out" 2>&1
		rc=$?
		sum=$(grep -E '^# [0-9]+ passed, [0-9]+ failed' "$T/suite.out" | tail -n 1)
		skips=$(grep -c '^# skip on postgresql' "$T/suite.out")
		if [ $rc -eq 0 ] && [ -n "$sum" ]; then
			ok "$suite on postgresql: ${sum#\# } ($skips files-layout cases skipped, $(( $(date +%s) - s0 )) s)"
		else
			notok "$suite on postgresql (exit $rc)"
			grep -E '^not ok|^FAIL|^#' "$T/suite.out" | head -n 30 | sed 's/^/#   /'
		fi
	done
else
	echo "# ODIN_PG_SUITES=0: module and CLI suites skipped"
fi
pg_psql "DROP TABLE IF EXISTS backup_codes, users, odin_schema" >/dev/null

# ---- two hosts: configs and PAM service dirs, one database ----------------
SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
for h in A B; do
	mkdir -p "$T/$h/pam.d"
	cp "$PG_KEY" "$T/$h/key"		# the key is distributed to every host
	cat > "$T/$h/odin.conf" <<EOC
backend = postgresql
pg_plugin = $PLUGIN
pg_conninfo = $PG_CONNINFO
pg_password_file = $PG_PWFILE
secret_key_file = $T/$h/key
pg_connect_timeout = 2
pg_statement_timeout = 2
max_failures = 1000
store_dir = $T/$h/unused
EOC
	chmod 644 "$T/$h/odin.conf"
	echo "auth required $MOD config=$T/$h/odin.conf" > "$T/$h/pam.d/login"
done
at() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
code() { oathtool --totp -b -N "@$1" "$SECRET"; }
# login HOST TIME CODE: RES
login() {
	faketime -f "$(at "$2")" "$H" -d "$T/$1/pam.d" -r "$3" login pgalice > "$T/out" 2>&1
	RES=$(sed -n 's/^RESULT //p' "$T/out")
}

# ---- 2. db-init, enroll on A, log in on B, replay on A ---------------------
"$CLI" --config "$T/A/odin.conf" admin db-init > "$T/cli.out" 2>&1
check "admin db-init" '[ $? -eq 0 ]'
"$CLI" --config "$T/B/odin.conf" admin db-init > "$T/cli.out" 2>&1
check "admin db-init again (host B) is harmless" '[ $? -eq 0 ]'
echo "$SECRET" | "$CLI" --config "$T/A/odin.conf" admin import pgalice > "$T/cli.out" 2>&1
check "enroll on host A (admin import)" '[ $? -eq 0 ]'
row=$(pg_psql "SELECT mfa_enabled, mfa_secret FROM users WHERE user_name = 'pgalice'")
check "the row is enabled and its secret sealed" \
    '[[ "$row" == "t|enc1:"* ]] && [[ "$row" != *"$SECRET"* ]]'
NOW=$(date +%s); NOW=$(( NOW - NOW % 30 + 10 ))
C=$(code "$NOW")
login B "$NOW" "$C"
check "log in on host B with A's enrollment" '[ "$RES" = PAM_SUCCESS ]'
login A "$NOW" "$C"
check "the same code replayed on host A is refused" '[ "$RES" = PAM_AUTH_ERR ]'
check "the replay is logged as such" 'grep -q "reason=replayed code" "$T/log"'

# ---- 3. the race: 32 logins, one code, two hosts, 10 rounds -----------------
race_ok=0
for round in $(seq 1 10); do
	tnow=$(( NOW + 30 * round ))
	C=$(code "$tnow")
	rm -rf "$T/bar"; mkdir "$T/bar"
	pids=()
	for i in $(seq 1 32); do
		h=A; [ $((i % 2)) -eq 0 ] && h=B
		faketime -f "$(at "$tnow")" "$H" -d "$T/$h/pam.d" -b "$T/bar" -r "$C" login pgalice \
		    > "$T/race.$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq 200); do [ "$(ls "$T/bar" | wc -l)" -ge 32 ] && break; sleep 0.05; done
	touch "$T/bar/go"
	wait "${pids[@]}"
	wins=$(cat "$T"/race.* | grep -c '^RESULT PAM_SUCCESS$')
	total=$(cat "$T"/race.* | grep -c '^RESULT ')
	if [ "$wins" -eq 1 ] && [ "$total" -eq 32 ]; then
		race_ok=$((race_ok + 1))
	else
		echo "# round $round: $wins successes of $total results"
		grep -h '^RESULT' "$T"/race.* | sort | uniq -c | sed 's/^/#   /'
	fi
	rm -f "$T"/race.*
done
check "race: 32 concurrent logins on 2 hosts, one code -> exactly one success (10 rounds, $race_ok good)" \
    '[ "$race_ok" -eq 10 ]'
last=$(pg_psql "SELECT last_step FROM users WHERE user_name = 'pgalice'")
check "last_step is the last round's step" '[ "$last" -eq $(( (NOW + 300) / 30 )) ]'

# ---- a row's secret copied onto another user fails to decrypt ---------------
pg_psql "INSERT INTO users SELECT 'nobody', mfa_enabled, pending, mfa_secret, algorithm, digits, period, 0, 0, 0, 0, 'none', 0, NULL, created, updated FROM users WHERE user_name = 'pgalice'" >/dev/null
before=$(stat -c %s "$T/log")
faketime -f "$(at "$NOW")" "$H" -d "$T/A/pam.d" -r "$(code "$NOW")" login nobody > "$T/out" 2>&1
RES=$(sed -n 's/^RESULT //p' "$T/out")
check "a row copied onto another user is refused" '[ "$RES" != PAM_SUCCESS ] && [ -n "$RES" ]'
check "... and logged as not decrypting" 'tail -c +$((before + 1)) "$T/log" | grep -q "does not decrypt"'
pg_psql "DELETE FROM users WHERE user_name = 'nobody'" >/dev/null

# ---- migrate through the CLI: files -> postgresql -> files ---------------------
# One config per side, the same key (a files store seals with it too).  The
# records: an enabled user with backup codes (imported scratch codes), a
# last_step, failures and a lockout in progress; a pending user.  Each hop
# must give every record back equivalent in meaning (recordtool dump: the
# parsed record, secret opened, every field).
M=$T/mig
mkdir -m 700 "$M"
for b in files postgresql; do
	cat > "$M/$b.conf" <<EOC
backend = $b
store_dir = $M/store
pg_plugin = $PLUGIN
pg_conninfo = $PG_CONNINFO
pg_password_file = $PG_PWFILE
secret_key_file = $PG_KEY
pg_connect_timeout = 2
pg_statement_timeout = 2
EOC
	chmod 644 "$M/$b.conf"
done
pg_psql "DELETE FROM users" >/dev/null
"$CLI" --config "$M/files.conf" admin db-init > "$T/cli.out" 2>&1
printf '%s\n" TOTP_AUTH\n12345678\n23456789\n' "$SECRET" |
    "$CLI" --config "$M/files.conf" admin import pgalice > "$T/cli.out" 2>&1
"$CLI" --config "$M/files.conf" admin force-enable nobody >> "$T/cli.out" 2>&1
"$RT" "$M/files.conf" cat pgalice | sed -e 's/^last_step .*/last_step 56666777/' \
    -e 's/^failures .*/failures 2/' -e 's/^lockout_until .*/lockout_until 4102444800/' \
    -e 's/^lockout_count .*/lockout_count 3/' > "$M/rec"
"$RT" "$M/files.conf" put pgalice < "$M/rec"
rm -f "$M/rec"
"$RT" "$M/files.conf" dump | grep -v "^generation " > "$M/before"
check "migrate: two records in the files store, with backup codes and a lockout" \
    '[ "$(grep -c "^user " "$M/before")" -eq 2 ] && [ "$(grep -c "^backup " "$M/before")" -eq 2 ] &&
     grep -qx "lockout_count 3" "$M/before" && grep -q "^secret enc1:" "$M/store/users/pgalice"'
"$CLI" --config "$M/files.conf" admin migrate --to postgresql > "$T/cli.out" 2>&1
check "migrate --to postgresql: exit 0, '2 records copied'" \
    '[ $? -eq 0 ] && grep -qx "2 records copied to postgresql" "$T/cli.out"'
"$RT" "$M/postgresql.conf" dump | grep -v "^generation " > "$M/mid"
check "migrate --to postgresql: every record equivalent in meaning" 'cmp -s "$M/before" "$M/mid"'
row=$(pg_psql "SELECT last_step, failures, lockout_until, lockout_count, (SELECT count(*) FROM backup_codes b WHERE b.user_name = u.user_name), mfa_secret LIKE 'enc1:%' FROM users u WHERE user_name = 'pgalice'")
check "migrate --to postgresql: the row holds last_step, failures, lockout, 2 backup codes, a sealed secret ($row)" \
    '[ "$row" = "56666777|2|4102444800|3|2|t" ]'
"$CLI" --config "$M/postgresql.conf" admin migrate --to postgresql > "$T/cli.out" 2>&1
check "migrate to the backend already configured is a usage error" '[ $? -eq 2 ]'
rm -rf --one-file-system "$M/store"
"$CLI" --config "$M/postgresql.conf" admin migrate --to files > "$T/cli.out" 2>&1
check "migrate --to files: exit 0, '2 records copied'" \
    '[ $? -eq 0 ] && grep -qx "2 records copied to files" "$T/cli.out"'
"$RT" "$M/files.conf" dump | grep -v "^generation " > "$M/after"
check "migrate back to files: every record equivalent in meaning to the original" 'cmp -s "$M/before" "$M/after"'
check "migrate back to files: the records are root 0600, the secret sealed" \
    '[ "$(stat -c "%a %U" "$M/store/users/pgalice")" = "600 root" ] && grep -q "^secret enc1:" "$M/store/users/pgalice"'
check "migrate: the CLI logged both copies" \
    '[ "$(grep -c "admin migrate (uid 0): 2 records copied to" "$T/log")" -eq 2 ]'

# ---- 4. the database down: deny within the timeout, one line ----------------
pg_stop
before=$(stat -c %s "$T/log")
s=$(date +%s%N)
C=$(code "$((NOW + 400))")
login A "$((NOW + 400))" "$C"
ms=$(( ($(date +%s%N) - s) / 1000000 ))
check "server stopped: login denied ($RES in $ms ms)" \
    '[ "$RES" = PAM_AUTHINFO_UNAVAIL ] || [ "$RES" = PAM_AUTH_ERR ] || [ "$RES" = PAM_SYSTEM_ERR ]'
check "server stopped: within the 2 s connect timeout + 3 s (the module's fail delay included)" '[ "$ms" -lt 5000 ]'
check "server stopped: one clear log line" \
    'tail -c +$((before + 1)) "$T/log" | grep -c "postgresql: cannot connect" | grep -qx 1'
"$CLI" --config "$T/A/odin.conf" admin status pgalice > "$T/cli.out" 2>&1
rc=$?
check "server stopped: the CLI fails in one line (exit $rc)" \
    '[ $rc -ne 0 ] && [ "$(wc -l < "$T/cli.out")" -le 2 ] && grep -qi "postgresql\|store" "$T/cli.out"'
check "no code or secret in the log" \
    '! grep -q "$SECRET" "$T/log" && ! grep -q "enc1:" "$T/log"'

echo "1..$((pass + fails))"
echo "# pass $pass fail $fails"
[ "$fails" -eq 0 ]

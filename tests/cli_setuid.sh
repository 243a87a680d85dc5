#!/bin/bash
# SPDX-License-Identifier: ISC
# odin-mfa-cli installed setuid root, run by an unprivileged user (nobody,
# via setpriv) in a private mount namespace: a temp config is overlaid on
# the compiled-in config path (read from --version) and names a temp store.
# Admin verbs are refused with the store byte-for-byte unchanged, --config
# is refused, --qr-png cannot write where the caller cannot, the process
# waits for input with the caller's euid, a clean environment and no extra
# fds, and a self-enrollment through the setuid binary works.
. "$(dirname "$0")/cli_lib.sh"
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: setpriv not installed"; exit 77; }

# LeakSanitizer cannot attach to a non-dumpable process of another uid (sanitizer builds only).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

drive() { expect "$cli_srcdir/cli_drive.exp" "$@"; }
O=$T/o
mkdir -p "$O"
NOB=(setpriv --reuid=65534 --regid=65534 --clear-groups)
NU=$(getent passwd 65534 | cut -d: -f1)
[ -n "$NU" ] || { echo "SKIP: no passwd entry for uid 65534"; exit 77; }

# The installed binary: setuid root on a fresh tmpfs (never nosuid).
mkdir -p "$T/bin"
mount -t tmpfs -o mode=755 tmpfs "$T/bin"
install -o root -g root -m 4755 "$CLI" "$T/bin/odin-mfa-cli"
SUID=$T/bin/odin-mfa-cli
check "the test binary is setuid root" test "$(stat -c '%a %U' "$SUID")" = "4755 root"

# The compiled-in config path, overlaid in this namespace only.
CFG=$("$SUID" --version | sed -n 's/^config: //p')
check "--version names the config path" test -n "$CFG"
cfgdir=$(dirname "$CFG")
mkdir -p "$T/cfg-up" "$T/cfg-work"
mount -t overlay overlay -o "lowerdir=$cfgdir,upperdir=$T/cfg-up,workdir=$T/cfg-work" "$cfgdir"
cli_extra_cleanup='umount -l "$cfgdir" 2>/dev/null; umount -l "$T/bin" 2>/dev/null'
write_cfg() { printf 'store_dir = %s\n%s' "$STORE" "${1:-}" > "$CFG"; chown root:root "$CFG"; chmod 644 "$CFG"; }
write_cfg

# Some state to protect: root imports a secret for root and force-enables nobody.
S=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
printf '%s\n' "$S" | "$SUID" admin import root >/dev/null; rc=$?
check "root (not elevated) can use the setuid binary's admin verbs" test "$rc" -eq 0
"$SUID" admin force-enable "$NU" >/dev/null
before=$(store_digest "$STORE")

# --- every admin verb refused for a non-admin --------------------------------------
refused() {	# refused DESC ARGS...
	local d=$1; shift
	"${NOB[@]}" "$SUID" "$@" </dev/null >"$O/out" 2>"$O/err"; rc=$?
	check "$d: refused (exit 1)" test "$rc" -eq 1
	check "$d: one clear line" test "$(cat "$O/err")" = "odin-mfa-cli: admin commands need root"
	check "$d: store unchanged" test "$(store_digest "$STORE")" = "$before"
}
refused "force-enable" admin force-enable root
refused "force-enable --reset" admin force-enable --reset root
refused "disable" admin disable root
refused "unlock" admin unlock root
refused "status" admin status root
refused "list" admin list
refused "list --json" admin list --json
printf '%s\n' "$S" > "$O/secret"
"${NOB[@]}" "$SUID" admin import "$NU" <"$O/secret" >/dev/null 2>"$O/err"; rc=$?
check "import: refused (exit 1)" test "$rc" -eq 1
check "import: store unchanged" test "$(store_digest "$STORE")" = "$before"
check "the refusal is logged" log_has "refused: $NU \(uid 65534\) is not an admin"
write_cfg "admin_group = wheel-odin-none
"
"${NOB[@]}" "$SUID" admin list >/dev/null 2>"$O/err"
check "with admin_group set the error names the group" \
	test "$(cat "$O/err")" = "odin-mfa-cli: admin commands need root or membership of group wheel-odin-none"
write_cfg "admin_group = $(id -gn 65534)
"
"${NOB[@]}" "$SUID" admin list --json >"$O/list" 2>"$O/err"; rc=$?
check "a member of admin_group may list" test "$rc" -eq 0
check "... and sees the users" grep -q '"user": "root"' "$O/list"
"${NOB[@]}" "$SUID" admin unlock root >/dev/null 2>&1; rc=$?
check "a member of admin_group may unlock" test "$rc" -eq 0
check "... logged with the admin's name" log_has "admin $NU \(uid 65534\): unlock root: "
write_cfg
before=$(store_digest "$STORE")

# --- --config refused when elevated ----------------------------------------------------
cp "$CONF" "$O/evil.conf"
"${NOB[@]}" "$SUID" --config "$O/evil.conf" status >/dev/null 2>"$O/err"; rc=$?
check "--config in a setuid run is refused (exit 2)" test "$rc" -eq 2
check "... with one clear line" grep -q "^odin-mfa-cli: --config is refused when running setuid" "$O/err"
"${NOB[@]}" "$SUID" status --config="$O/evil.conf" >/dev/null 2>&1; rc=$?
check "... also after the verb" test "$rc" -eq 2
"${NOB[@]}" env ODIN_CONFIG=/x USER=root LOGNAME=root "$SUID" status >"$O/st" 2>&1
TZ=ODN+5 "$SUID" admin status root > "$O/tz"
check "the environment is not trusted (TZ ignored)" sh -c "grep -q '^enrolled: *20' '$O/tz' && ! grep -q ODN '$O/tz'"
check "the caller is the real uid, not \$USER" grep -q "^user: *$NU$" "$O/st"
check "status of a pending user says pending" grep -q "^MFA: *pending" "$O/st"

# --- --qr-png with the caller's privileges --------------------------------------------
mkdir -p "$T/rootonly"; chmod 755 "$T/rootonly"
"${NOB[@]}" "$SUID" enroll --qr-png "$T/rootonly/x.png" </dev/null >/dev/null 2>"$O/err"; rc=$?
check "--qr-png into a root-owned 0755 dir fails" test "$rc" -ne 0
check "... no file created" test ! -e "$T/rootonly/x.png"
check "... with a permission error" grep -q "Permission denied" "$O/err"
"${NOB[@]}" "$SUID" enroll --qr-svg /root/odin-test-x.svg </dev/null >/dev/null 2>&1; rc=$?
check "--qr-svg into /root fails" test "$rc" -ne 0 -a ! -e /root/odin-test-x.svg
check "... and the store is unchanged" test "$(store_digest "$STORE")" = "$before"

# --- while waiting for the code: caller's euid, clean env, no extra fds -------------
mkfifo "$O/in"
( exec 7<"$O/secret"; export SECRET_ENV=leak; "${NOB[@]}" "$SUID" enroll --qr=none <"$O/in" >"$O/w.out" 2>&1 ) &
waiter=$!
exec 8>"$O/in"
for _ in $(seq 100); do grep -q "Enter the 6-digit code" "$O/w.out" 2>/dev/null && break; sleep 0.1; done
pid=$(pgrep -f -n "^$SUID enroll --qr=none" || true)
if [ -n "$pid" ]; then
	read -r _ ru eu su _ < <(grep '^Uid:' "/proc/$pid/status")
	check "at the prompt the effective uid is the caller's" test "$ru $eu $su" = "65534 65534 0"
	fds=$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ')
	check "... only fds 0 1 2 are open (got: $fds)" test "$fds" = "0 1 2 "
	check "... no core dumps" test "$(awk '/core file size/ { print $5 }' "/proc/$pid/limits")" = 0
	check "... no file-size limit of the caller's" test "$(awk '/Max file size/ { print $4 }' "/proc/$pid/limits")" = unlimited
	# the new secret waits in pages kept out of core dumps (dd) and swap (lo)
	check "... the secret's pages are excluded from core dumps" grep -q '^VmFlags:.* dd' "/proc/$pid/smaps"
	# (AddressSanitizer turns mlock into a no-op: the plain build checks it)
	if nm "$CLI" 2>/dev/null | grep -q __asan_init; then
		echo "# skip: locked in RAM (an ASan build: its mlock does nothing)"
	else
		check "... and locked in RAM" sh -c "grep '^VmFlags:' /proc/$pid/smaps | grep ' dd' | grep -q ' lo'"
	fi
else
	fail "enroll as $NU never reached the code prompt"
fi
exec 8>&-
wait "$waiter"
check "EOF at the prompt stored nothing" test "$(store_digest "$STORE")" = "$before"

# --- a real enrollment through the setuid binary -------------------------------------
mkdir -p "$T/home"; chown 65534 "$T/home"
drive "$O/e" uri good -- "${NOB[@]}" "$SUID" enroll --qr-png "$T/home/q.png"
check "$NU enrolls through the setuid binary" test "$(cat "$O/e.rc")" = 0
check "... the record is root:root, 0600 (not the caller's group)" test "$(stat -c '%a %U %G' "$STORE/users/$NU")" = "600 root root"
check "... so is its lock file" test "$(stat -c '%U %G' "$STORE/locks/$NU")" = "root root"
check "... enabled" test "$(record_field "$STORE/users/$NU" state)" = enabled
check "... the PNG belongs to the caller" test "$(stat -c '%U' "$T/home/q.png")" = "$NU"
check "... and decodes to the printed URI" test "$(zbarimg --raw -q "$T/home/q.png" 2>/dev/null)" = "$(cat "$O/e.uri")"
check "$NU cannot read their own record" sh -c "! ${NOB[*]} cat '$STORE/users/$NU' 2>/dev/null"
"${NOB[@]}" "$SUID" status > "$O/st2"
check "status as $NU says enabled" grep -q "^MFA: *enabled" "$O/st2"
check "the enrollment is logged" log_has "user $NU \(uid 65534\) enrolled"

# --- the caller's limits, signals and terminal (issue 11) -----------------------
# The caller of a setuid program chooses its resource limits, can signal it
# and owns its terminal.  None of that may buy a guess that is not counted,
# hold a record's lock, or show a hint about which codes are valid.
SN=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' "$O/e.uri")
NREC=$STORE/users/$NU
counted() { echo $(( $(record_field "$NREC" failures) + 5 * $(record_field "$NREC" lockout_count) )); }
logmark() { wc -c < "$LOG"; }
logsince() { tail -c +$(( $1 + 1 )) "$LOG"; }

# 1. 102 wrong guesses (34 runs of backup-codes, 3 tries each) under each
# file-size limit: at most max_failures (5) are ever judged, every judged
# one is counted, and then the right code is refused.  A hard limit the
# CLI cannot lift (no CAP_SYS_RESOURCE) makes it refuse to run at all.
for lim in 150:unlimited 300:unlimited 150:150 300:300 4096:4096; do
	"$SUID" admin unlock "$NU" >/dev/null
	m=$(logmark)
	for i in $(seq 34); do
		printf '90%04d\n91%04d\n92%04d\n' "$i" "$i" "$i" |
		    prlimit --fsize="$lim" "${NOB[@]}" "$SUID" backup-codes >"$O/fs.out" 2>"$O/fs.err"
	done
	log_has 'xx-never-xx' >/dev/null 2>&1	# let the log catch up
	judged=$(logsince "$m" | grep -c "user $NU: wrong code when confirming")
	c=$(counted)
	printf '%s\n' "$(totp "$SN")" | prlimit --fsize="$lim" "${NOB[@]}" "$SUID" backup-codes >"$O/fs.out" 2>"$O/fs.err"; rc=$?
	if [ "$judged" -le 5 ] && [ "$c" -ge "$judged" ] && [ "$rc" -ne 0 ] && ! grep -q 'no longer work' "$O/fs.out"; then
		ok "RLIMIT_FSIZE $lim through the CLI: 102 wrong guesses, $judged judged (counted: $c), then the right code refused (exit $rc)"
	else
		fail "RLIMIT_FSIZE $lim through the CLI: $judged judged, counted $c, right code exit $rc: $(head -c 300 "$O/fs.err")"
	fi
done
prlimit --fsize=150:150 "${NOB[@]}" "$SUID" status >/dev/null 2>"$O/fs.err"; rc=$?
if [ "$rc" -eq 0 ]; then
	ok "a hard file-size limit is lifted by the setuid CLI (CAP_SYS_RESOURCE here)"
else
	check "a hard file-size limit the CLI cannot lift: it refuses to run (exit 3, one line)" \
	    sh -c "[ $rc -eq 3 ] && [ \"\$(cat '$O/fs.err')\" = 'odin-mfa-cli: cannot set resource limits' ]"
fi
"$SUID" admin unlock "$NU" >/dev/null

# 2. A wrong code that would match at another clock offset: the person at the
# prompt is told only "not accepted"; the offset goes to the log.
m=$(logmark)
printf '%s\n' "$(oathtool --totp -b -N 'now + 150 seconds' "$SN")" |
    "${NOB[@]}" "$SUID" backup-codes >"$O/skew.out" 2>&1
check "a code 150 s ahead: 'Code not accepted.'" grep -q 'Code not accepted\.$' "$O/skew.out"
check "... and no hint about the clock on the terminal" sh -c "! grep -qi 'clock\|would be right\|seconds' '$O/skew.out'"
check "... the offset is in the log for the admin" log_has "user=$NU code matches a clock offset of \+1[25][0-9] s"
"$SUID" admin unlock "$NU" >/dev/null

# 3. A terminal held with Ctrl-S while the CLI has something to say: nothing
# is written to it under a lock, so admin unlock is not held up.
rm -f "$O/held.stopped" "$O/held.go"
cat > "$O/held.exp" <<EXP
set timeout 60
log_user 0
spawn -noecho {*}[lrange \$argv 0 end]
expect -re {Verification code \(or a backup code\): \$}
send -- "\023"
send -- "[exec oathtool --totp -b -N {now + 150 seconds} $SN]\r"
exec touch $O/held.stopped
while {![file exists $O/held.go]} { after 100 }
send -- "\021"
send -- "\004"
expect eof
EXP
expect -f "$O/held.exp" "${NOB[@]}" "$SUID" backup-codes >/dev/null 2>&1 &
held=$!
for _ in $(seq 100); do [ -e "$O/held.stopped" ] && break; sleep 0.1; done
sleep 1	# the CLI has read the code, counted it and wants to say so
t0=$(date +%s%N)
timeout 30 "$SUID" admin unlock "$NU" >"$O/held.out" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
touch "$O/held.go"; wait "$held"
check "a terminal stopped with Ctrl-S does not hold up admin unlock (exit $rc, $ms ms)" \
    test "$rc" -eq 0 -a "$ms" -lt 3000

# 4. A record locked by a process that never lets go (a stopped CLI, say):
# admin commands give up after the documented wait with one clear line;
# admin list does not lock at all.
flock "$STORE/locks/$NU" sleep 60 &
holder=$!
sleep 0.5
t0=$(date +%s%N)
timeout 30 "$SUID" admin unlock "$NU" >"$O/lock.out" 2>"$O/lock.err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "a lock held forever: admin unlock gives up after 5 s ($ms ms, exit $rc)" \
    test "$rc" -eq 3 -a "$ms" -ge 5000 -a "$ms" -lt 9000
check "... with one line that says so" sh -c "[ \$(wc -l < '$O/lock.err') -eq 1 ] && grep -q 'still locked by another process' '$O/lock.err'"
t0=$(date +%s%N)
timeout 30 "$SUID" admin list >"$O/lock.list" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "... admin list is not held up ($ms ms) and shows the user" \
    sh -c "[ $rc -eq 0 ] && [ $ms -lt 3000 ] && grep -q '^$NU ' '$O/lock.list'"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

finish

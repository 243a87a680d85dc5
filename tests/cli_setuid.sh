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
check "... the record is root's, 0600" test "$(stat -c '%a %U' "$STORE/users/$NU")" = "600 root"
check "... enabled" test "$(record_field "$STORE/users/$NU" state)" = enabled
check "... the PNG belongs to the caller" test "$(stat -c '%U' "$T/home/q.png")" = "$NU"
check "... and decodes to the printed URI" test "$(zbarimg --raw -q "$T/home/q.png" 2>/dev/null)" = "$(cat "$O/e.uri")"
check "$NU cannot read their own record" sh -c "! ${NOB[*]} cat '$STORE/users/$NU' 2>/dev/null"
"${NOB[@]}" "$SUID" status > "$O/st2"
check "status as $NU says enabled" grep -q "^MFA: *enabled" "$O/st2"
check "the enrollment is logged" log_has "user $NU \(uid 65534\) enrolled"

finish

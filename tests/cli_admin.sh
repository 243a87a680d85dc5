#!/bin/bash
# SPDX-License-Identifier: ISC
# odin-mfa-cli admin verbs as root with --config: force-enable, status,
# list (--json through jq), unlock, disable, and import of every supported
# form, each round-tripped into a code that oathtool computes (checked by
# the CLI's own code prompt in backup-codes, run as root for user root).
. "$(dirname "$0")/cli_lib.sh"
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not installed"; exit 77; }

drive() { expect "$cli_srcdir/cli_drive.exp" "$@"; }
run() { "$CLI" --config "$CONF" "$@"; }
O=$T/o
mkdir -p "$O"
U=$(id -un)	# root: the only user whose code prompt a root test can drive
V=nobody	# a second existing account for the admin verbs

# --- force-enable / status / list ----------------------------------------------
run admin force-enable "$V" > "$O/fe" 2>&1; rc=$?
check "force-enable exits 0" test "$rc" -eq 0
check "... the record is pending" test "$(record_field "$(recfile "$V")" state)" = pending
check "... with no secret" test "$(record_field "$(recfile "$V")" secret)" = "-"
check "... logged with who did it" log_has "admin root \(uid 0\): force-enable $V: pending"
before=$(store_state)
run admin force-enable "$V" > "$O/fe2" 2>&1; rc=$?
check "force-enable of a pending user changes nothing" test "$rc" -eq 0 -a "$(store_state)" = "$before"
run admin force-enable no-such-user-xyz >/dev/null 2>&1; rc=$?
check "force-enable of an unknown account is refused" test "$rc" -eq 1
check "... and creates no record" test ! -e "$(recfile no-such-user-xyz)"
run admin force-enable ../etc >/dev/null 2>"$O/bad"; rc=$?
check "an invalid user name is a usage error" test "$rc" -eq 2
check "... in one line" test "$(wc -l < "$O/bad")" -eq 1
run admin status "$V" > "$O/st"
check "admin status shows pending" grep -q "^MFA: *pending" "$O/st"
run admin status no-such-user-xyz > "$O/st" 2> "$O/err"; rc=$?
check "admin status of a name that is neither an account nor a record: exit 1, not 'MFA: off'" \
	sh -c "[ $rc -eq 1 ] && ! grep -q 'MFA' '$O/st' && grep -q 'no such user, and no record' '$O/err'"
"$CLI" --help > "$O/help"
check "the top-level usage names db-init, migrate and check" \
	sh -c "grep -q 'admin db-init' '$O/help' && grep -q 'admin migrate --to' '$O/help' && grep -q ' check \\[--json\\]' '$O/help'"

# --- import, each form -------------------------------------------------------
# import_do NAME INPUT SECRET_BASE32
import_do() {
	local name=$1 input=$2 secret=$3
	run admin disable "$U" >/dev/null 2>&1
	printf '%s' "$input" | run admin import "$U" > "$O/imp-$name" 2>&1; rc=$?
	check "import $name exits 0" test "$rc" -eq 0
	check "import $name: enabled" test "$(record_field "$(recfile "$U")" state)" = enabled
	check "import $name: the stored secret is the imported one" \
		test "$(record_field "$(recfile "$U")" secret)" = "$secret"
}
# import_auth NAME SECRET_BASE32 [OATHTOOL_ARGS]: the CLI accepts oathtool's current code
import_auth() {
	local name=$1 secret=$2 oargs=${3:---totp} code
	# shellcheck disable=SC2086
	code=$(oathtool -b $oargs "$secret")
	drive "$O/imp-$name-auth" type:"$code" -- "$CLI" --config "$CONF" backup-codes
	check "import $name: the CLI accepts oathtool's code" test "$(cat "$O/imp-$name-auth.rc")" = 0 ||
		sed 's/^/#   /' "$O/imp-$name-auth.log" 2>/dev/null | tr -d '\r' | head -n 20
	check "import $name: logged" log_has "admin root \(uid 0\): import $U: "
}
# import_roundtrip NAME INPUT SECRET_BASE32 [OATHTOOL_ARGS]
import_roundtrip() {
	import_do "$1" "$2" "$3"
	import_auth "$1" "$3" "${4:-}"
}
S=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
import_roundtrip uri "otpauth://totp/Old:$U?secret=$S&issuer=Old" "$S"
import_roundtrip base32 "$(echo "$S" | tr 'A-Z' 'a-z' | sed 's/..../& /g')
" "$S"
import_roundtrip uri-sha256-8 "otpauth://totp/Old:$U?secret=$S&issuer=Old&algorithm=SHA256&digits=8&period=60" \
	"$S" "--totp=sha256 -d 8 -s 60"
check "import uri-sha256-8: algorithm kept" test "$(record_field "$(recfile "$U")" algorithm)" = SHA256
check "import uri-sha256-8: digits kept" test "$(record_field "$(recfile "$U")" digits)" = 8
HEX=3132333435363738393031323334353637383930
S20=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
import_roundtrip pam_oath "HOTP/T30 $U - $HEX
" "$S20"
GA="$S
\" RATE_LIMIT 3 30
\" WINDOW_SIZE 3
\" DISALLOW_REUSE
\" TOTP_AUTH
12345678
23456789
"
import_do google-authenticator "$GA" "$S"
check "google-authenticator: the 2 scratch codes became 2 backup hashes" \
	test "$(grep -c '^backup ' "$(recfile "$U")")" -eq 2
check "google-authenticator: no scratch code stored in plain" \
	sh -c "! grep -q -e 12345678 -e 23456789 '$(recfile "$U")'"
drive "$O/scratch" type:12345678 -- "$CLI" --config "$CONF" backup-codes
check "google-authenticator: a scratch code works as a backup code" test "$(cat "$O/scratch.rc")" = 0
while [ "$(( $(date +%s) / 30 ))" -le "$(record_field "$(recfile "$U")" last_step)" ]; do sleep 1; done
import_auth google-authenticator "$S"

# Refusals: nothing changes.
before=$(store_state)
printf 'HOTP %s - %s\n' "$U" "$HEX" | run admin import --force "$U" >/dev/null 2>"$O/hotp"; rc=$?
check "a pam_oath HOTP (counter) line is refused" test "$rc" -eq 1
check "... with a reason" grep -q "cannot import: ." "$O/hotp"
printf 'HOTP/T30 %s 1234 %s\n' "$U" "$HEX" | run admin import --force "$U" >/dev/null 2>&1; rc=$?
check "a pam_oath line with a PIN is refused" test "$rc" -eq 1
printf 'otpauth://hotp/x?secret=%s&counter=3\n' "$S" | run admin import --force "$U" >/dev/null 2>&1; rc=$?
check "an otpauth://hotp/ URI is refused" test "$rc" -eq 1
printf 'not a secret at all!\n' | run admin import --force "$U" >/dev/null 2>&1; rc=$?
check "garbage is refused" test "$rc" -eq 1
printf '%s\n' "$S" | run admin import "$U" >/dev/null 2>"$O/enabled"; rc=$?
check "import over an enabled user without --force is refused" test "$rc" -eq 1
check "the refusals changed nothing" test "$(store_state)" = "$before"
check "... and no refusal printed the secret" sh -c "! grep -q -e '$S' -e '$HEX' '$O/hotp' '$O/enabled'"
printf '%s\n' "$S" | run admin import --force "$U" >/dev/null 2>&1; rc=$?
check "import --force replaces an enabled record" test "$rc" -eq 0

# --- lockout and unlock ---------------------------------------------------------
printf 'max_failures = 2\n' >> "$CONF"
drive "$O/lk" type:000000 type:000001 -- "$CLI" --config "$CONF" backup-codes
check "two wrong codes lock the user out (exit 1)" test "$(cat "$O/lk.rc")" = 1
run admin status "$U" > "$O/lst"
check "admin status shows the lockout" grep -q "^locked: *until " "$O/lst"
drive "$O/lk2" type:"$(totp "$S")" -- "$CLI" --config "$CONF" backup-codes
check "a locked-out user is refused even with a right code" test "$(cat "$O/lk2.rc")" = 1
check "... and told so" grep -q "locked out" "$O/lk2.log"
run admin unlock "$U" > /dev/null; rc=$?
check "admin unlock exits 0" test "$rc" -eq 0
check "... and is logged" log_has "admin root \(uid 0\): unlock $U: "
check "... the lockout is cleared" test "$(record_field "$(recfile "$U")" lockout_until)" = 0
drive "$O/lk3" type:"$(totp "$S")" -- "$CLI" --config "$CONF" backup-codes
check "after unlock the right code works again" test "$(cat "$O/lk3.rc")" = 0

# --- list ---------------------------------------------------------------------------
run admin list --json > "$O/list.json"; rc=$?
check "list --json exits 0" test "$rc" -eq 0
check "list --json is valid JSON (jq)" sh -c "jq -e . '$O/list.json' >/dev/null"
check "list --json has both users" test "$(jq -r '[.[].user] | sort | join(",")' "$O/list.json")" = "$V,$U"
check "list --json: $V pending" test "$(jq -r ".[] | select(.user == \"$V\") | .state" "$O/list.json")" = pending
check "list --json: $U enabled with backup codes counted" \
	test "$(jq -r ".[] | select(.user == \"$U\") | \"\(.state) \(.backup_codes) \(.locked)\"" "$O/list.json")" = "enabled 10 false"
check "list --json: last code time set" test "$(jq -r ".[] | select(.user == \"$U\") | .last_code_time" "$O/list.json")" -gt 0
run admin list > "$O/list.txt"
check "list (text) shows both users" test "$(grep -cE "^($U|$V) " "$O/list.txt")" -eq 2
if files_only "list of a second, empty store directory"; then
mkdir -p "$T/empty"
printf 'store_dir = %s\n' "$T/empty/s" > "$T/empty.conf"; chmod 644 "$T/empty.conf"
"$CLI" --config "$T/empty.conf" admin db-init >/dev/null
"$CLI" --config "$T/empty.conf" admin list --json > "$O/empty.json"
check "list --json of an empty store is []" test "$(jq -c . "$O/empty.json")" = "[]"
fi

# --- force-enable --reset, disable ---------------------------------------------------
run admin force-enable "$U" > "$O/fe3"; rc=$?
check "force-enable of an enabled user keeps it enabled" \
	test "$rc" -eq 0 -a "$(record_field "$(recfile "$U")" state)" = enabled
run admin force-enable --reset "$U" > /dev/null; rc=$?
check "force-enable --reset makes it pending" \
	test "$rc" -eq 0 -a "$(record_field "$(recfile "$U")" state)" = pending
check "... and drops the secret" test "$(record_field "$(recfile "$U")" secret)" = "-"
run admin disable "$V" > /dev/null; rc=$?
check "disable exits 0" test "$rc" -eq 0
check "... the record is gone" test ! -e "$(recfile "$V")"
check "... logged" log_has "admin root \(uid 0\): disable $V: record removed"
run admin disable "$V" > /dev/null 2>&1; rc=$?
check "disable of a user without a record exits 1" test "$rc" -eq 1
run admin status "$V" > "$O/st3"
check "admin status of a disabled user says off" grep -q "^MFA: *off" "$O/st3"
# the recovery path: a record that does not parse still goes with disable
if files_only "disable of a corrupt record"; then
	run admin force-enable "$V" > /dev/null
	printf 'odin-mfa-record 1\nstate enabled\ngarbage\n' > "$STORE/users/$V"
	run admin status "$V" > /dev/null 2>&1; rc=$?
	check "a corrupt record is an error for status (exit $rc)" test "$rc" -eq 3
	run admin disable "$V" > "$O/dis4" 2>&1; rc=$?
	check "disable removes a corrupt record (exit $rc)" test "$rc" -eq 0 -a ! -e "$STORE/users/$V"
	check "... says so" grep -q "unreadable record was removed" "$O/dis4"
	check "... logged" log_has "admin root \(uid 0\): disable $V: unreadable record removed"
fi
check "no secret in the log" sh -c "! grep -q -e '$S' -e '$HEX' -e '$S20' '$LOG'"

finish

#!/bin/bash
# SPDX-License-Identifier: ISC
# odin-mfa-cli enroll / status / backup-codes, end to end through a pty
# (expect), as root with --config pointing at a temp store.  Oracles:
# oathtool computes the codes from the printed URI, zbarimg decodes the
# PNG and the terminal QR code.
. "$(dirname "$0")/cli_lib.sh"

drive() { expect "$cli_srcdir/cli_drive.exp" "$@"; }
U=$(id -un)
O=$T/o
mkdir -p "$O"
run() { "$CLI" --config "$CONF" "$@"; }

# --- help, version, usage errors ---------------------------------------
check "--version names the compiled-in config and store" \
	sh -c "'$CLI' --version | grep -q '^config: /' && '$CLI' --version | grep -q '^store: /'"
for v in enroll status backup-codes admin "admin force-enable" "admin disable" "admin unlock" \
	"admin status" "admin list" "admin import"; do
	# shellcheck disable=SC2086
	check "$v --help exits 0 with a usage line" sh -c "'$CLI' $v --help | grep -q '^usage: odin-mfa-cli'"
done
"$CLI" frobnicate >/dev/null 2>"$O/err"; rc=$?
check "an unknown verb is a usage error (exit 2)" test "$rc" -eq 2
check "... with one line naming it" grep -q "unknown command frobnicate" "$O/err"
"$CLI" enroll --qr=sixel >/dev/null 2>&1; rc=$?
check "a bad --qr value is a usage error" test "$rc" -eq 2
run --config /nonexistent status >/dev/null 2>&1; rc=$?
check "a missing --config file is an error (exit 2)" test "$rc" -eq 2

# --- status before anything ---------------------------------------------
run status > "$O/st0"
check "status says off before enrolling" grep -q "^MFA: *off" "$O/st0"

# --- wrong codes then EOF / Ctrl-C / 3 wrong: nothing stored -------------
drive "$O/eof" uri bad expect:"Code not accepted" eof -- "$CLI" --config "$CONF" enroll
check "wrong code then EOF exits 1" test "$(cat "$O/eof.rc")" = 1
check "... says nothing was stored" grep -q "nothing was stored" "$O/eof.log"
check "... leaves no record" test ! -e "$(recfile "$U")"
drive "$O/int" uri bad intr -- "$CLI" --config "$CONF" enroll
check "wrong code then Ctrl-C exits 1" test "$(cat "$O/int.rc")" = 1
check "... leaves no record" test ! -e "$(recfile "$U")"
drive "$O/bad3" uri bad bad bad -- "$CLI" --config "$CONF" enroll
check "three wrong codes exit 1" test "$(cat "$O/bad3.rc")" = 1
check "... leaves no record" test ! -e "$(recfile "$U")"
files_only "no temp file in users/" && check "... and no temp file" sh -c "! ls -A '$STORE/users' | grep -q ."
secret_bad=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$O/bad3.uri")
check "the correct code is never shown" sh -c "! grep -q -- \"\$(oathtool --totp -b $secret_bad)\" '$O/bad3.log'"

# --- a real enrollment ----------------------------------------------------
drive "$O/e1" uri bad good -- "$CLI" --config "$CONF" enroll --qr-png "$O/q.png" --qr-svg "$O/q.svg"
check "enroll with a wrong then the right code exits 0" test "$(cat "$O/e1.rc")" = 0
URI=$(cat "$O/e1.uri")
SECRET=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$O/e1.uri")
check "the URI is otpauth://totp/ with issuer O.D.I.N. and label user@host" \
	grep -Eq "^otpauth://totp/O\.D\.I\.N\.:$U(@|%40)$(hostname)\?secret=[A-Z2-7]{32}&issuer=O\.D\.I\.N\.$" "$O/e1.uri"
check "the secret is 160 bits" test "${#SECRET}" -eq 32
grouped=$(echo "$SECRET" | sed 's/..../& /g; s/ $//')
check "the key is shown grouped by 4" grep -qF "$grouped" "$O/e1.log"
check "a UTF-8 QR code is shown" grep -q "█" "$O/e1.log"
check "the PNG decodes (zbarimg) to exactly the printed URI" \
	test "$(zbarimg --raw -q "$O/q.png" 2>/dev/null)" = "$URI"
check "the PNG was written 0600 by the caller" test "$(stat -c '%a %U' "$O/q.png")" = "600 $U"
check "the SVG was written" grep -q "<svg" "$O/q.svg"
rsvg-convert -b white -o "$O/svg.png" "$O/q.svg" 2>/dev/null
check "the SVG decodes (rsvg-convert + zbarimg) to the URI" \
	test "$(zbarimg --raw -q "$O/svg.png" 2>/dev/null)" = "$URI"
tr -d '\r' < "$O/e1.log" | python3 "$cli_srcdir/cli_qr2pgm.py" "$O/term.pgm"
check "the terminal QR code (UTF-8) scans (zbarimg) to the URI" \
	test "$(zbarimg --raw -q "$O/term.pgm" 2>/dev/null)" = "$URI"
if files_only "the record file's owner, mode and links"; then
	check "the record exists, root 0600" test "$(stat -c '%a %U %h' "$STORE/users/$U")" = "600 root 1"
else
	check "the record exists" test -s "$(recfile "$U")"
fi
check "the record is enabled" test "$(record_field "$(recfile "$U")" state)" = enabled
check "the record holds the URI's secret" test "$(record_field "$(recfile "$U")" secret)" = "$SECRET"
check "last_step is set (the confirming code cannot be replayed)" test "$(record_field "$(recfile "$U")" last_step)" -gt 0
mapfile -t CODES < "$O/e1.codes"
check "10 backup codes were shown" test "${#CODES[@]}" -eq 10
check "10 backup hashes stored" test "$(grep -c '^backup ' "$(recfile "$U")")" -eq 10
plain=0
for c in "${CODES[@]}"; do
	grep -qiF -e "$c" -e "${c/-/}" "$(recfile "$U")" && plain=1
done
check "no plain backup code in the record" test "$plain" -eq 0
check "the secret is not in the log" sh -c "! grep -qF '$SECRET' '$LOG'"
check "enrollment was logged" log_has "odin-mfa-cli\[[0-9]+\]: user $U \(uid 0\) enrolled"

run status > "$O/st1"
check "status says enabled" grep -q "^MFA: *enabled" "$O/st1"
check "status shows 10 backup codes left" grep -q "^backup codes: *10 left" "$O/st1"
check "status shows not locked" grep -q "^locked: *no" "$O/st1"
check "status shows the enrollment time" grep -q "^enrolled: *20" "$O/st1"

# --- re-enroll needs a code; a backup code works once ----------------------
before=$(sha256sum < "$(recfile "$U")")
drive "$O/r0" type:${CODES[0]} eof -- "$CLI" --config "$CONF" enroll --qr=none
check "re-enroll accepts a backup code, then EOF cancels (exit 1)" test "$(cat "$O/r0.rc")" = 1
check "... the old secret stays" test "$(record_field "$(recfile "$U")" secret)" = "$SECRET"
check "... the backup code was consumed (9 left)" test "$(grep -c '^backup ' "$(recfile "$U")")" -eq 9
check "... after it the new enrollment's confirm prompt came" grep -q "Enter the 6-digit code" "$O/r0.log"
check "... --qr=none showed no QR code" sh -c "! grep -q '█' '$O/r0.log'"
drive "$O/r1" type:${CODES[0]} expect:"Code not accepted" eof -- "$CLI" --config "$CONF" enroll
check "the same backup code is refused the second time" test "$(cat "$O/r1.rc")" = 1
check "... nothing else changed but the failure count" test "$(grep -c '^backup ' "$(recfile "$U")")" -eq 9
run status > "$O/st2"
check "status counts the failure" grep -q "^locked: *no (1 recent failure)" "$O/st2"

# --- backup-codes: needs a code, replaces the set ---------------------------
old=$(grep '^backup ' "$(recfile "$U")" | sha256sum)
drive "$O/b1" type:"${CODES[1]^^}" -- "$CLI" --config "$CONF" backup-codes
check "backup-codes with a backup code (upper case) exits 0" test "$(cat "$O/b1.rc")" = 0
mapfile -t NEW < "$O/b1.codes"
check "backup-codes shows a fresh set of 10" test "${#NEW[@]}" -eq 10
check "... and the stored set changed" test "$(grep '^backup ' "$(recfile "$U")" | sha256sum)" != "$old"
check "... the failure count was reset" test "$(record_field "$(recfile "$U")" failures)" = 0
drive "$O/b2" type:${CODES[2]} expect:"Code not accepted" eof -- "$CLI" --config "$CONF" backup-codes
check "an old-set backup code no longer works" test "$(cat "$O/b2.rc")" = 1
check "backup-codes was logged" log_has "user $U \(uid 0\) replaced the backup codes"

# A TOTP code for backup-codes (the step must be later than the last one used).
step=$(record_field "$(recfile "$U")" last_step)
while [ "$(( $(date +%s) / 30 ))" -le "$step" ]; do sleep 1; done
code=$(totp "$SECRET")
drive "$O/b3" type:"$code" -- "$CLI" --config "$CONF" backup-codes
check "backup-codes with the current TOTP code exits 0" test "$(cat "$O/b3.rc")" = 0
drive "$O/b4" type:"$code" expect:"already used" eof -- "$CLI" --config "$CONF" backup-codes
check "the same TOTP code is refused as a replay" test "$(cat "$O/b4.rc")" = 1

# --- re-enroll with the current code replaces the secret ---------------------
while [ "$(( $(date +%s) / 30 ))" -le "$(record_field "$(recfile "$U")" last_step)" ]; do sleep 1; done
drive "$O/r2" type:"$(totp "$SECRET")" uri good -- "$CLI" --config "$CONF" enroll --qr=ansi
check "re-enroll with a current code and a new code exits 0" test "$(cat "$O/r2.rc")" = 0
S2=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$O/r2.uri")
check "... the record now holds the new secret" test "$(record_field "$(recfile "$U")" secret)" = "$S2"
check "... which differs from the old one" test "$S2" != "$SECRET"
tr -d '\r' < "$O/r2.log" | python3 "$cli_srcdir/cli_qr2pgm.py" "$O/ansi.pgm"
check "the ANSI terminal QR code scans to the new URI" \
	test "$(zbarimg --raw -q "$O/ansi.pgm" 2>/dev/null)" = "$(cat "$O/r2.uri")"

# --- --qr-png never overwrites --------------------------------------------
ln -s /etc/passwd-not-there "$O/link.png"
: > "$O/exists.png"
"$CLI" --config "$CONF" enroll --qr-png "$O/exists.png" </dev/null >/dev/null 2>&1; rc=$?
check "--qr-png onto an existing file fails" test "$rc" -ne 0
check "... and leaves the file there as it was" test -e "$O/exists.png" -a ! -s "$O/exists.png"
# a cancelled enrollment removes the QR code files it wrote: a retry with the same names works
"$CLI" --config "$CONF" admin disable "$U" >/dev/null 2>&1	# (no record: no re-authentication first)
for try in 1 2; do
	"$CLI" --config "$CONF" enroll --qr=none --qr-png "$O/again.png" --qr-svg "$O/again.svg" </dev/null >/dev/null 2>"$O/again.err"; rc=$?
	check "a cancelled enrollment with --qr-png/--qr-svg (try $try): exit 1, not a file error" \
		sh -c "[ $rc -eq 1 ] && grep -q 'enrollment cancelled' '$O/again.err'"
	check "... and the files it wrote are gone (they held a secret worth nothing now)" \
		test ! -e "$O/again.png" -a ! -e "$O/again.svg"
done
"$CLI" --config "$CONF" enroll --qr-png "$O/link.png" </dev/null >/dev/null 2>&1; rc=$?
check "--qr-png through a symlink fails" test "$rc" -ne 0
check "... and creates nothing behind it" test ! -e /etc/passwd-not-there

finish

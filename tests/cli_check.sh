#!/bin/bash
# SPDX-License-Identifier: ISC
# odin-mfa-cli check, the administrator's doctor: a good host passes (exit
# 0, no error), and each of a dozen planted misconfigurations -- one at a
# time, on private copies of /etc/pam.d and /etc/ssh in a private mount
# namespace -- is found with a line that says what and where, exit 1 when
# it would lock someone out or let someone in without a code.  --json is
# checked with jq.
. "$(dirname "$0")/cli_lib.sh"
[ "$BACKEND" = files ] || { echo "SKIP: check's cases are about the files layout"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
[ -d /etc/pam.d ] && [ -f /etc/ssh/sshd_config ] || { echo "SKIP: no /etc/pam.d or sshd_config"; exit 77; }

O=$T/o
mkdir -p "$O" "$T/orig"
cp -a /etc/pam.d "$T/orig/pam.d"
cp -a /etc/ssh "$T/orig/ssh"
cp -a /etc/pam.d "$T/pam.d"
cp -a /etc/ssh "$T/ssh"
mount --bind "$T/pam.d" /etc/pam.d && mount --bind "$T/ssh" /etc/ssh || { echo "FAIL: bind mounts"; exit 99; }
cli_extra_cleanup='umount -l /etc/pam.d /etc/ssh 2>/dev/null'

# The README's recipes, on top of Debian's own files.
good_host() {
	rm -rf /etc/pam.d/* /etc/ssh/*
	cp -a "$T/orig/pam.d/." /etc/pam.d/
	cp -a "$T/orig/ssh/." /etc/ssh/
	printf '%s\n' "@include common-auth" "auth required pam_odin.so" "@include common-account" \
	    "@include common-session" > /etc/pam.d/sshd
	printf '%s\n' "@include common-auth" "auth required pam_odin.so" "@include common-account" > /etc/pam.d/sudo
	# sshd_config: change the line Debian has (sshd keeps the first value), no password auth
	sed -i -e 's/^#\{0,1\}KbdInteractiveAuthentication.*/KbdInteractiveAuthentication yes/' \
	    -e 's/^#\{0,1\}PasswordAuthentication.*/PasswordAuthentication no/' \
	    -e 's/^#\{0,1\}UsePAM.*/UsePAM yes/' /etc/ssh/sshd_config
	grep -q '^KbdInteractiveAuthentication yes' /etc/ssh/sshd_config ||
	    sed -i '1i KbdInteractiveAuthentication yes' /etc/ssh/sshd_config
	grep -q '^PasswordAuthentication no' /etc/ssh/sshd_config || sed -i '1i PasswordAuthentication no' /etc/ssh/sshd_config
	grep -q '^UsePAM yes' /etc/ssh/sshd_config || sed -i '1i UsePAM yes' /etc/ssh/sshd_config
	printf 'store_dir = %s\n' "$STORE" > "$CONF"; chmod 644 "$CONF"
	rm -rf "$STORE"; "$CLI" --config "$CONF" admin db-init >/dev/null
}
doctor() {	# runs check (text and JSON); RC, $O/check.txt, $O/check.json
	"$CLI" --config "$CONF" check > "$O/check.txt" 2>&1; RC=$?
	"$CLI" --config "$CONF" check --json > "$O/check.json" 2>"$O/check.err"
}
finds() {	# finds NAME LEVEL REGEX [EXIT]: the planted problem is reported
	local name=$1 level=$2 re=$3 want=${4:-1}
	doctor
	if [ "$RC" -eq "$want" ] && jq -e --arg l "$level" --arg re "$re" \
	    '[.findings[] | select(.level == $l and (.message | test($re)))] | length > 0' \
	    "$O/check.json" >/dev/null && grep -qE -- "$re" "$O/check.txt"; then
		ok "check finds: $name (exit $RC): $(grep -m1 -E -- "$re" "$O/check.txt" | cut -c1-150)"
	else
		fail "check misses: $name (exit $RC, want $want)"
		sed 's/^/#   /' "$O/check.txt" | head -n 30
	fi
}

# ---- a good host -------------------------------------------------------------------
good_host
doctor
check "a good host: exit 0" test "$RC" -eq 0
check "... no error in the JSON" jq -e '.ok == true and .errors == 0' "$O/check.json" >/dev/null
check "... the configuration is read" grep -qE '^ok +config ' "$O/check.txt"
check "... the store is safe" grep -qE '^ok +store +files store .*: safe' "$O/check.txt"
check "... sshd's stack is right" grep -qE '^ok +pam sshd ' "$O/check.txt"
check "... sshd's settings are right" grep -qE '^ok +sshd +UsePAM yes, KbdInteractiveAuthentication yes' "$O/check.txt"
check "... every finding has a level, an area and a message" \
	jq -e '(.findings | length) as $n | $n > 3 and ([.findings[] | select((.level | IN("ok","warning","error")) and (.area | length > 0) and (.message | length > 0))] | length == $n)' "$O/check.json"
check "check changes nothing in /etc/pam.d" diff -r "$T/pam.d" /etc/pam.d

# ---- one misconfiguration at a time ---------------------------------------------------
# 1. a typo in the configuration: file, line and key
good_host; printf 'store_dir = %s\nmax_failure = 3\n' "$STORE" > "$CONF"
finds "a typo in the configuration" error "$CONF:2: unknown key 'max_failure'"

# 2. a configuration others may write
good_host; chmod 666 "$CONF"
finds "a configuration writable by others" error "$CONF"

# 3. no store (an unmounted volume)
good_host; rm -rf "$STORE"
finds "a missing store" error "does not exist"

# 4. a store others may read
good_host; chmod 755 "$STORE"
finds "a store with mode 0755" error "mode 0755"

# 5. a secret key file others may read
good_host; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/key"; echo >> "$T/key"
chmod 644 "$T/key"; printf 'store_dir = %s\nsecret_key_file = %s\n' "$STORE" "$T/key" > "$CONF"
finds "a secret key file readable by others" error "secret_key_file $T/key"

# 6. the password module 'required', not 'requisite': a warning (nobody locked out)
good_host; printf '%s\n' "auth required pam_unix.so" "auth required pam_odin.so" > /etc/pam.d/sshd
finds "a wrong password still reaches the code prompt" warning "wrong password still reaches pam_odin" 0

# 7. the key + code stack that denies everyone without a record
good_host; printf '%s\n' "auth required pam_odin.so" "@include common-account" > /etc/pam.d/sshd
finds "key + code stack denying users without a record" error "user without a record is denied"

# 8. forward_pass without the line that checks the code
good_host; printf '%s\n' "auth required pam_odin.so forward_pass" "auth requisite pam_unix.so use_first_pass" > /etc/pam.d/sudo
finds "forward_pass without its second line" error "no pam_odin line after the password module checks it"

# 9. pam_odin's answer ignored
good_host; printf '%s\n' "@include common-auth" "auth optional pam_odin.so" > /etc/pam.d/sudo
finds "pam_odin 'optional'" error "a wrong code gets in"

# 10. the console login for root goes through pam_odin
good_host; printf '%s\n' "auth required pam_odin.so" >> /etc/pam.d/common-auth
finds "root's console login through pam_odin" error "root's console login goes through pam_odin"

# 11. Debian's KbdInteractiveAuthentication no left in place, passwords on
good_host; sed -i -e 's/^KbdInteractiveAuthentication yes/KbdInteractiveAuthentication no/' \
    -e 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config
finds "sshd answering the code prompt with the password" error "KbdInteractiveAuthentication no with PasswordAuthentication yes"

# 12. the postgresql backend without its plugin
good_host; printf '%s\n' "backend = postgresql" "pg_conninfo = host=/nonexistent dbname=x" \
    "secret_key_file = $T/key" "pg_plugin = $T/no-such-plugin.so" > "$CONF"; chmod 600 "$T/key"
finds "a missing postgresql plugin" error "no-such-plugin.so"

# the good host once more: nothing left behind by the cases above
good_host; doctor
check "the good host again: exit 0" test "$RC" -eq 0
setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" --config "$CONF" check >/dev/null 2>"$O/err"; rc=$?
check "check as a user: refused (exit 1, one line)" \
	sh -c "[ $rc -eq 1 ] && [ \"\$(cat '$O/err')\" = 'odin-mfa-cli: check needs root (it reads root'\\''s files)' ]"
finish

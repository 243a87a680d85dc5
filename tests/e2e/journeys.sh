# SPDX-License-Identifier: ISC
#
# The six journeys of issue 5, sourced by tests/e2e/run.sh inside its
# private mount namespace (see there for the helpers and the sandbox).
# Every journey that involves a code asserts that "Verification code:" was
# asked and that a wrong code is refused, so each fails if the module stops
# asking.
#
# Users: e2ealice (imported secret: ssh), e2ebob (no MFA; also runs su),
# e2ecarol (imported: publickey + code), e2edave (forced enrollment, backup
# codes, admin disable), e2eerin (imported: sudo), e2efrank (imported: su
# target).  One user per journey keeps TOTP replay protection from making
# the journeys wait on each other.

# A field of USER's record as the store reads it (files: the record with its
# login state applied, common/slots.h), through recordtool.
field() { "$B/tests/recordtool" "$CONF" get "$1" "$2" 2>/dev/null; }

JOURNEYS="${ODIN_E2E_ONLY:-ssh_password_code ssh_publickey_code forced_enrollment sudo_stepup su_target admin_disable pam_auth_update case_insensitive fsize_limits directory_user su_root_caller console_login config_typo helpdesk}"

# 1. sshd: password then code; wrong code; replay; no-MFA user.
journey_ssh_password_code() {
	local rc code wrong
	drive ssh-wrong-password "${PW}bad" - ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_refused $rc "wrong password refused"
	want_no_prompt	# auth requisite pam_unix: no code prompt after a bad password

	wrong=$(wrong_code e2ealice)
	drive ssh-wrong-code "$PW" "$wrong" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "password + wrong code refused"

	next_code e2ealice; code=$CODE
	drive ssh-login "$PW" "$code" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_prompt
	want_ok $rc "password + code: the command ran"

	drive ssh-replay "$PW" "$code" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "the same code again (replay) refused"
	if saw "That code was already used; wait for the next one"; then ok "... and the user is told why"
	else fail "the replay message was not shown"; fi
	if [ "$(field e2ealice failures)" = 0 ]; then ok "... and it is not counted as a failure"
	else fail "the replay was counted: failures $(field e2ealice failures)"; fi

	drive ssh-no-mfa "$PW" - ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ebob@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_no_prompt
	want_ok $rc "user without MFA: password alone works"
}

# 2. AuthenticationMethods publickey,keyboard-interactive with a PAM stack
# that asks only the code (the README's key + code recipe).
journey_ssh_publickey_code() {
	local rc key=(-o PreferredAuthentications=publickey,keyboard-interactive
	    -o IdentitiesOnly=yes -i "$T/client/id_ed25519")
	pam_code_only >/etc/pam.d/sshd

	drive ssh-key-only - - ssh "${SSH_OPTS[@]}" -o PreferredAuthentications=publickey \
	    -o IdentitiesOnly=yes -i "$T/client/id_ed25519" e2ecarol@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_refused $rc "key alone is not enough"

	drive ssh-key-wrong-code - "$(wrong_code e2ecarol)" ssh "${SSH_OPTS[@]}" "${key[@]}" \
	    e2ecarol@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "key + wrong code refused"

	drive ssh-key-no-key - - ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ecarol@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_refused $rc "code path without the key refused"

	# the same stack for a user without a record: the key alone, no code asked
	drive ssh-key-no-record - - ssh "${SSH_OPTS[@]}" "${key[@]}" e2egrace@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_no_prompt
	want_ok $rc "key + code recipe, user without a record: the key alone gets in"

	next_code e2ecarol
	drive ssh-key-code - "$CODE" ssh "${SSH_OPTS[@]}" "${key[@]}" e2ecarol@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	if saw "@@EVENT password-prompt"; then fail "a password was asked (stack should ask only the code)"; fi
	want_ok $rc "key + code: the command ran"

	pam_password_code >/etc/pam.d/sshd
}

# 3. Forced enrollment inside the SSH login, then the next logins need a
# code; a backup code printed at enrollment works exactly once.
BACKUP_CODES=()
journey_forced_enrollment() {
	local rc wrong step
	CUR=force-enable LOG=
	if "$CLI" admin force-enable e2edave >"$OUT/force-enable.log" 2>&1 && [ -f "$STORE/users/e2edave" ]; then
		ok "admin force-enable e2edave: record created"
	else
		LOG=$OUT/force-enable.log fail "admin force-enable e2edave"
		return
	fi

	# An interactive login (a pty, no command): sshd shows PAM's messages
	# that follow the last prompt (the backup codes) only in such sessions.
	DRIVE_SHELL="$REMOTE_CMD; exit" drive ssh-enroll "$PW" @enroll \
	    ssh -tt "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1
	rc=$?
	want_password_prompt
	if grep -q 'otpauth://totp/' "$LOG" && saw "@@EVENT otpauth-secret-seen"; then
		ok "the otpauth URI was shown in the session"
	else fail "no otpauth URI in the session"; fi
	# A QR code drawn with UTF-8 half blocks (or full blocks) or ANSI colours.
	if [ "$(grep -c -E '▀|▄|█|'$'\e''\[[0-9;]*m  ' "$LOG")" -ge 10 ]; then
		ok "a QR code was drawn in the session"
	else fail "no QR code lines in the session"; fi
	SECRET[e2edave]=$(grep -o -m1 'secret=[A-Z2-7]*' "$LOG" | cut -d= -f2)
	# The grouped key: the same secret, in groups of 4 separated by spaces.
	if [ -n "${SECRET[e2edave]}" ] && tr -d ' \r' <"$LOG" | grep -q -F "${SECRET[e2edave]}" &&
	    grep -E -q '([A-Z2-7]{4} ){3,}[A-Z2-7]{1,4}' "$LOG"; then
		ok "the key was shown (grouped)"
	else fail "the grouped key was not shown"; fi
	step=$(sed -n 's/.*@@EVENT enroll-step \([0-9]*\).*/\1/p' "$LOG" | head -n1)
	[ -n "$step" ] && LAST[e2edave]=$step
	mapfile -t BACKUP_CODES < <(grep -o -E '(^|[^A-Za-z0-9])[a-z0-9]{5}-[a-z0-9]{5}([^A-Za-z0-9]|$)' "$LOG" |
	    grep -o -E '[a-z0-9]{5}-[a-z0-9]{5}' | sort -u)
	if [ "${#BACKUP_CODES[@]}" -ge 5 ]; then
		ok "${#BACKUP_CODES[@]} backup codes shown"
	else fail "backup codes not shown (found ${#BACKUP_CODES[@]})"; fi
	want_ok $rc "enrollment login: the command ran"
	if grep -q '^state enabled$' "$STORE/users/e2edave" 2>/dev/null; then
		ok "record is enabled"
	else fail "record not enabled after enrollment"; fi
	[ -n "${SECRET[e2edave]}" ] || return

	wrong=$(wrong_code e2edave)
	drive ssh-after-enroll-wrong "$PW" "$wrong" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "next login with a wrong code refused"

	next_code e2edave
	drive ssh-after-enroll "$PW" "$CODE" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_ok $rc "next login with a code from oathtool"

	[ "${#BACKUP_CODES[@]}" -ge 1 ] || return
	SENT_CODES+=("${BACKUP_CODES[@]}")
	drive ssh-backup "$PW" "${BACKUP_CODES[0]}" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_ok $rc "a backup code works"
	drive ssh-backup-again "$PW" "${BACKUP_CODES[0]}" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_refused $rc "the same backup code a second time refused"
}

# 4. sudo step-up: the user's password and code (sudo -S cannot answer two
# prompts, so expect drives sudo's own terminal prompts).
journey_sudo_stepup() {
	local rc as_erin=(setpriv --reuid=e2eerin --regid=e2eerin --init-groups --reset-env)
	drive sudo-password-only "$PW" "" "${as_erin[@]}" /bin/sh -c "sudo -k true && $REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "sudo: password alone (empty code) refused"

	drive sudo-wrong-code "$PW" "$(wrong_code e2eerin)" "${as_erin[@]}" /bin/sh -c "sudo -k true && $REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "sudo: password + wrong code refused"

	next_code e2eerin
	drive sudo-ok "$PW" "$CODE" "${as_erin[@]}" /bin/sh -c "sudo -k true && $REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_prompt
	want_ok $rc "sudo: password + code"
}

# 5. su (run by an unprivileged user) to an MFA-enabled account.
journey_su_target() {
	local rc as_bob=(setpriv --reuid=e2ebob --regid=e2ebob --init-groups --reset-env)
	drive su-wrong-code "$PW" "$(wrong_code e2efrank)" "${as_bob[@]}" su e2efrank -c "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "su: password + wrong code refused"

	next_code e2efrank
	drive su-ok "$PW" "$CODE" "${as_bob[@]}" su e2efrank -c "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_prompt
	want_ok $rc "su: password + code"
}

# 6. admin disable: password-only SSH again, the secret gone from the store.
journey_admin_disable() {
	local rc
	if [ -f "$STORE/users/e2edave" ]; then
		drive ssh-before-disable "$PW" "" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
		rc=$?
		want_prompt
		want_refused $rc "before disable: password without a code refused"
	else
		CUR=admin-disable LOG= fail "e2edave has no record to disable (forced enrollment failed?)"
	fi
	CUR=admin-disable LOG=$OUT/admin-disable.log
	if "$CLI" admin disable e2edave >"$LOG" 2>&1; then ok "admin disable e2edave"; else fail "admin disable e2edave"; fi
	if [ -e "$STORE/users/e2edave" ]; then fail "the record is still in the store"; else ok "the record is gone"; fi
	if [ -n "${SECRET[e2edave]:-}" ] && grep -r -q -F "${SECRET[e2edave]}" "$STORE" 2>/dev/null; then
		fail "the secret is still in the store"
	else ok "the secret is not in the store"; fi

	drive ssh-after-disable "$PW" - ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2edave@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_no_prompt
	want_ok $rc "after disable: password alone works"
}

# 7. The shipped pam-auth-update profile (pam-configs/odin-mfa): enabled
# with the real pam-auth-update, the generated common-auth puts pam_odin
# after the password, and an sshd stack of just "@include common-auth"
# then asks for the code.  pam-auth-update's state (/usr/share/pam-configs,
# /var/lib/pam, debconf) and the PAM module dir are private copies here.
journey_pam_auth_update() {
	local rc secdir unix odin
	CUR=pam-auth-update LOG=$OUT/pam-auth-update.log
	command -v pam-auth-update >/dev/null || { fail "pam-auth-update not found (package libpam-runtime)"; return; }
	# libpam's own module directory (where pam_unix.so is), whatever the build's prefix
	secdir=$(dirname "$(find /lib /usr/lib -path '*/security/pam_unix.so' 2>/dev/null | head -n 1)")
	[ -f "$secdir/pam_unix.so" ] || { fail "no PAM module dir (pam_unix.so not found)"; return; }
	cp /etc/pam.d/common-auth "$T/common-auth.saved"
	cp -a /usr/share/pam-configs "$T/pam-configs" && cp -a /var/lib/pam "$T/var-lib-pam" &&
	    cp -a /var/cache/debconf "$T/debconf" && cp -a "$secdir" "$T/security" &&
	    install -m 0644 "$SRC/pam-configs/odin-mfa" "$T/pam-configs/odin-mfa" &&
	    install -m 0644 "$MOD" "$T/security/pam_odin.so" &&
	    mount --bind "$T/pam-configs" /usr/share/pam-configs && mount --bind "$T/var-lib-pam" /var/lib/pam &&
	    mount --bind "$T/debconf" /var/cache/debconf && mount --bind "$T/security" "$secdir" ||
	    { fail "cannot set up private copies"; return; }
	if DEBIAN_FRONTEND=noninteractive pam-auth-update --enable odin-mfa >"$LOG" 2>&1 && ! [ -s "$LOG" ]; then
		ok "pam-auth-update --enable odin-mfa (no warnings)"
	else fail "pam-auth-update --enable odin-mfa failed or warned"; fi
	unix=$(grep -n -m1 'pam_unix.so' /etc/pam.d/common-auth | cut -d: -f1)
	odin=$(grep -n -m1 'pam_odin.so' /etc/pam.d/common-auth | cut -d: -f1)
	if [ -n "$odin" ] && [ -n "$unix" ] && [ "$odin" -gt "$unix" ]; then
		ok "common-auth: $(sed -n "${odin}p" /etc/pam.d/common-auth | tr -s ' \t' ' ') after pam_unix"
	else LOG=/etc/pam.d/common-auth fail "pam_odin not after pam_unix in common-auth"; fi

	printf '%s\n' "@include common-auth" "@include common-account" "session required pam_permit.so" >/etc/pam.d/sshd
	drive ssh-common-auth-wrong "$PW" "$(wrong_code e2ealice)" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_refused $rc "common-auth stack: password + wrong code refused"
	next_code e2ealice
	drive ssh-common-auth "$PW" "$CODE" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_prompt
	want_ok $rc "common-auth stack: password + code"
	drive ssh-common-auth-no-mfa "$PW" - ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ebob@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_no_prompt
	want_ok $rc "common-auth stack: user without MFA, password alone"
	# the profile keeps root's console login without pam_odin: the store moved away, root still gets in
	# Debian's own login file: only the profile's line keeps root's console path
	cp "$T/login.orig" /etc/pam.d/login
	mv "$STORE" "$STORE.away"
	DRIVE_SHELL="$REMOTE_CMD; exit" drive login-root-store-gone "$PW" - login root
	rc=$?
	mv "$STORE.away" "$STORE"
	pam_login >/etc/pam.d/login
	want_no_prompt
	want_ok $rc "pam-auth-update profile: root on the console with the store gone: password alone"
	cat "$T/common-auth.saved" >/etc/pam.d/common-auth
	pam_password_code >/etc/pam.d/sshd
}

# No code, secret or password in anything logged (syslog via our /dev/log,
# sshd's own log), and the module did log its decisions.
check_logs() {
	local s c leaked=0
	CUR=logs LOG=
	if grep -q 'pam_odin' "$SYSLOG"; then ok "pam_odin logged $(grep -c pam_odin "$SYSLOG") lines"; else fail "no pam_odin lines in syslog"; fi
	for c in "${SENT_CODES[@]}" "$PW"; do
		[ -n "$c" ] || continue
		if grep -q -w -F -- "$c" "$SYSLOG" "$T/sshd.log"; then
			leaked=1; fail "a typed code or password appears in a log"
		fi
		if [[ $c == *-* ]] && grep -q -w -F -- "${c//-/}" "$SYSLOG" "$T/sshd.log"; then
			leaked=1; fail "a backup code, bypass code or token (undashed) appears in a log"
		fi
	done
	for s in "${SECRET[@]}"; do
		[ -n "$s" ] || continue
		if grep -q -F -- "${s:0:16}" "$SYSLOG" "$T/sshd.log"; then leaked=1; fail "a secret appears in a log"; fi
	done
	[ $leaked = 0 ] && ok "no code, secret or password in the logs (${#SENT_CODES[@]} codes checked)"
}

# 8. A directory that resolves names without regard to case (SSSD's AD
# provider, winbind), stood in for by tests/lib/nss_ci.c (libnss_odinci): ALICE is
# alice's account, and must be asked alice's code -- never let through on
# the password, never enrolled a second time.
journey_case_insensitive() {
	local rc n
	CUR=case-insensitive LOG=
	. "$SRC/tests/lib/nss.sh"
	if ! odin_nss_ci_enable "$B/tests/lib/.libs/libnss_odinci.so" >"$OUT/nss.log" 2>&1 ||
	    ! odin_nss_ci_check e2ealice; then
		LOG=$OUT/nss.log fail "cannot put the case-insensitive NSS stand-in in place"
		return
	fi
	drive ssh-upper-wrong "$PW" "$(wrong_code e2ealice)" ssh "${SSH_OPTS[@]}" "${KBD[@]}" E2EALICE@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_password_prompt
	want_prompt
	want_refused $rc "ssh E2EALICE: asked alice's code; a wrong one refused"
	next_code e2ealice
	drive ssh-mixed "$PW" "$CODE" ssh "${SSH_OPTS[@]}" "${KBD[@]}" E2EAlice@127.0.0.1 "id -un; $REMOTE_CMD"
	rc=$?
	want_prompt
	want_ok $rc "ssh E2EAlice: password + alice's code"
	if saw "e2ealice"; then ok "... the session runs as e2ealice"; else fail "the session is not e2ealice's"; fi
	# with enforce_group covering alice, a different spelling is still asked, never enrolled
	groupadd -f e2emfa && usermod -a -G e2emfa e2ealice
	cp "$CONF" "$T/conf.saved"
	echo "enforce_group = e2emfa" >>"$CONF"
	drive ssh-upper-enforced "$PW" "$(wrong_code e2ealice)" ssh "${SSH_OPTS[@]}" "${KBD[@]}" E2EALICE@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	cat "$T/conf.saved" >"$CONF"
	want_prompt
	if saw "@@EVENT otpauth-secret-seen"; then fail "E2EALICE was shown a new secret (a second enrollment)"; else ok "no second enrollment for E2EALICE"; fi
	want_refused $rc "enforced E2EALICE with a wrong code refused"
	n=$(ls "$STORE/users" | grep -ci '^e2ealice$')
	if [ "$n" = 1 ] && [ -f "$STORE/users/e2ealice" ]; then ok "one record, filed as e2ealice"; else fail "records: $(ls "$STORE/users" | tr '\n' ' ')"; fi
	odin_nss_ci_disable
}

# 9. The caller of su and sudo sets their resource limits.  Under a
# file-size limit between the sizes of two records (hard: the module cannot
# lift it without CAP_SYS_RESOURCE; soft: it lifts it), wrong codes are
# still counted before they are judged: at most max_failures (5) are ever
# judged, every judged one is in the record, and the right code is then
# refused.
fsize_attack() {	# fsize_attack NAME TARGET LIMIT COMMAND...: 7 wrong codes, then the right one
	local name=$1 u=$2 lim=$3 i before judged counted rc
	shift 3
	"$CLI" admin unlock "$u" >/dev/null
	before=$(wc -c <"$SYSLOG")
	for i in 1 2 3 4 5 6 7; do
		drive "$name-$i" "$PW" "$(wrong_code "$u")" prlimit --fsize="$lim" "$@" >/dev/null
	done
	next_code "$u"
	drive "$name-right" "$PW" "$CODE" prlimit --fsize="$lim" "$@"
	rc=$?
	# (su may die of SIGXFSZ after the module, writing btmp: its status says little,
	# the module's log and the record say what was decided)
	judged=$(tail -c +$((before + 1)) "$SYSLOG" | grep -c "user=$u result=deny method=totp reason=wrong code")
	won=$(tail -c +$((before + 1)) "$SYSLOG" | grep -c "user=$u result=success")
	counted=$(( $(field "$u" failures) + 5 * $(field "$u" lockout_count) ))
	if [ "$judged" -le 5 ] && [ "$counted" -ge "$judged" ] && [ "$won" = 0 ] && ! saw "$MARK"; then
		ok "RLIMIT_FSIZE $lim: 7 wrong codes, $judged judged ($counted counted), then the right code refused (status $rc)"
	else
		fail "RLIMIT_FSIZE $lim: $judged judged, $counted counted, $won accepted, right code: status $rc"
	fi
	"$CLI" admin unlock "$u" >/dev/null
}
journey_fsize_limits() {
	local f e as_bob=(setpriv --reuid=e2ebob --regid=e2ebob --init-groups --reset-env)
	local as_erin=(setpriv --reuid=e2eerin --regid=e2eerin --init-groups --reset-env)
	# a login writes its state in place into the state file (two 64-byte
	# slots): a limit of 100 bytes lets one slot be written and not the other
	f=100
	e=100
	fsize_attack su-fsize-hard e2efrank "$f:$f" "${as_bob[@]}" su e2efrank -c "$REMOTE_CMD"
	fsize_attack su-fsize-soft e2efrank "$f:unlimited" "${as_bob[@]}" su e2efrank -c "$REMOTE_CMD"
	fsize_attack sudo-fsize-hard e2eerin "$e:$e" "${as_erin[@]}" /bin/sh -c "sudo -k true && $REMOTE_CMD"
	fsize_attack sudo-fsize-soft e2eerin "$e:unlimited" "${as_erin[@]}" /bin/sh -c "sudo -k true && $REMOTE_CMD"
}

# 10. A directory-style name (SSSD, AD, FreeIPA): force-enabled, it enrolls
# inside its first SSH login, then logs in with a code; its record is
# filed under its own name.
journey_directory_user() {
	local rc step
	CUR=directory-user LOG=$OUT/force-enable-dir.log
	if "$CLI" admin force-enable "$DIRUSER" >"$LOG" 2>&1 && [ -f "$STORE/users/$DIRUSER" ]; then
		ok "admin force-enable $DIRUSER: record users/$DIRUSER"
	else fail "admin force-enable $DIRUSER"; return; fi
	DRIVE_SHELL="$REMOTE_CMD; exit" drive ssh-dir-enroll "$PW" @enroll \
	    ssh -tt "${SSH_OPTS[@]}" "${KBD[@]}" "$DIRUSER@127.0.0.1"
	rc=$?
	want_password_prompt
	want_ok $rc "$DIRUSER enrolls inside the SSH login"
	SECRET[$DIRUSER]=$(grep -o -m1 'secret=[A-Z2-7]*' "$LOG" | cut -d= -f2)
	step=$(sed -n 's/.*@@EVENT enroll-step \([0-9]*\).*/\1/p' "$LOG" | head -n1)
	[ -n "$step" ] && LAST[$DIRUSER]=$step
	[ -n "${SECRET[$DIRUSER]}" ] || { fail "no secret seen for $DIRUSER"; return; }
	next_code "$DIRUSER"
	drive ssh-dir-login "$PW" "$CODE" ssh "${SSH_OPTS[@]}" "${KBD[@]}" "$DIRUSER@127.0.0.1" "id -un; $REMOTE_CMD"
	rc=$?
	want_prompt
	want_ok $rc "$DIRUSER logs in with password + code"
	if saw "$DIRUSER"; then ok "... as $DIRUSER"; else fail "not logged in as $DIRUSER"; fi
	if "$CLI" admin list --json | grep -qF "\"user\": \"$DIRUSER\""; then ok "admin list shows $DIRUSER"
	else fail "admin list does not show $DIRUSER"; fi
}

# 11. su - to root (no record): with su_caller the caller's own code is asked.
journey_su_root_caller() {
	local rc as_erin=(setpriv --reuid=e2eerin --regid=e2eerin --init-groups --reset-env)
	local as_bob=(setpriv --reuid=e2ebob --regid=e2ebob --init-groups --reset-env)
	drive su-root-wrong "$PW" "$(wrong_code e2eerin)" "${as_erin[@]}" su - root -c "$REMOTE_CMD"
	rc=$?
	if grep -q '@@EVENT code-prompt.*Verification code for e2eerin:' "$LOG"; then ok "su - root asks for e2eerin's code"
	else fail "su - root did not ask for the caller's code"; fi
	want_refused $rc "su - root with the caller's wrong code refused"
	next_code e2eerin
	drive su-root-ok "$PW" "$CODE" "${as_erin[@]}" su - root -c "$REMOTE_CMD"
	rc=$?
	want_ok $rc "su - root: root's password + the caller's code"
	drive su-root-nomfa "$PW" - "${as_bob[@]}" su - root -c "$REMOTE_CMD"
	rc=$?
	want_no_prompt
	want_ok $rc "su - root by a caller without MFA: the password alone"
}

# 12. The console: login(1) with the README's recipe (root kept without pam_odin).
journey_console_login() {
	local rc
	next_code e2ealice
	DRIVE_SHELL="$REMOTE_CMD; exit" drive login-alice "$PW" "$CODE" login e2ealice
	rc=$?
	want_password_prompt
	want_prompt
	want_ok $rc "console login: password + code"
	DRIVE_SHELL="$REMOTE_CMD; exit" drive login-alice-wrong "$PW" "$(wrong_code e2ealice)" login e2ealice
	rc=$?
	want_prompt
	want_refused $rc "console login: a wrong code refused"
	mv "$STORE" "$STORE.away"
	DRIVE_SHELL="$REMOTE_CMD; exit" drive login-root-no-store "$PW" - login root
	rc=$?
	mv "$STORE.away" "$STORE"
	want_no_prompt
	want_ok $rc "console login: root gets in with the store gone (the recovery path)"
	"$CLI" admin unlock e2ealice >/dev/null
}

# 13. A one-character typo in the configuration: logins it covers are
# denied, and the log names the file, the line and the key.
journey_config_typo() {
	local rc before
	cp "$CONF" "$T/conf.saved"
	echo "max_failure = 3" >>"$CONF"
	before=$(wc -c <"$SYSLOG")
	drive ssh-config-typo "$PW" "000000" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	cat "$T/conf.saved" >"$CONF"
	want_refused $rc "a typo in the configuration denies (fail closed)"
	sleep 0.5
	if tail -c +$((before + 1)) "$SYSLOG" | grep -q "$CONF:[0-9]*: unknown key 'max_failure'"; then
		ok "the log names the file, the line and the key"
	else fail "the log does not name file:line:key"; fi
}

# 14. The helpdesk, over SSH: a user who lost their phone logs in with a
# bypass code read out by an admin (admin bypass), once; a forced
# enrollment guarded by the admin's token (admin force-enable --token):
# a wrong token shows no secret, the right one leads to the enrollment.
journey_helpdesk() {
	local rc bp tok
	CUR=helpdesk-bypass LOG=$OUT/helpdesk-bypass.cli.log
	if ! "$CLI" admin bypass e2ealice >"$LOG" 2>&1; then fail "admin bypass e2ealice"; return; fi
	bp=$(sed -n 's/^    \([0-9a-z]\{4\}-[0-9a-z]\{4\}-[0-9a-z]\{4\}\)$/\1/p' "$LOG")
	if [ -n "$bp" ]; then ok "admin bypass e2ealice: a code to read out"; else fail "no bypass code shown"; return; fi
	drive ssh-bypass "$PW" "$bp" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_prompt
	want_ok $rc "SSH with the bypass code at the code prompt"
	drive ssh-bypass-again "$PW" "$bp" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_refused $rc "the same bypass code a second time refused"
	next_code e2ealice
	drive ssh-after-bypass "$PW" "$CODE" ssh "${SSH_OPTS[@]}" "${KBD[@]}" e2ealice@127.0.0.1 "$REMOTE_CMD"
	rc=$?
	want_ok $rc "the app's code still works after the bypass"

	CUR=helpdesk-token LOG=$OUT/helpdesk-token.cli.log
	if ! "$CLI" admin force-enable --token e2ehenry >"$LOG" 2>&1; then fail "admin force-enable --token e2ehenry"; return; fi
	tok=$(sed -n 's/^    \(\([0-9a-z]\{4\}-\)\{3\}[0-9a-z]\{4\}\)$/\1/p' "$LOG")
	if [ -n "$tok" ]; then ok "admin force-enable --token e2ehenry: a token to hand over"; else fail "no token shown"; return; fi
	DRIVE_TOKEN=abcd-efgh-jkmn-pqrs DRIVE_SHELL="$REMOTE_CMD; exit" drive ssh-token-wrong "$PW" @enroll \
	    ssh -tt "${SSH_OPTS[@]}" "${KBD[@]}" e2ehenry@127.0.0.1
	rc=$?
	if saw "@@EVENT token-prompt"; then ok "asked for the enrollment token"; else fail "no enrollment token prompt"; fi
	if saw "otpauth://totp/" || saw "@@EVENT otpauth-secret-seen"; then fail "a secret was shown after a wrong token"
	else ok "no secret shown after a wrong token"; fi
	want_refused $rc "a wrong enrollment token refused"
	DRIVE_TOKEN=$tok DRIVE_SHELL="$REMOTE_CMD; exit" drive ssh-token-enroll "$PW" @enroll \
	    ssh -tt "${SSH_OPTS[@]}" "${KBD[@]}" e2ehenry@127.0.0.1
	rc=$?
	if saw "@@EVENT token-prompt" && saw "@@EVENT otpauth-secret-seen"; then
		ok "the token, then the secret"
	else fail "token prompt or secret missing"; fi
	want_ok $rc "enrollment over SSH with the token: the command ran"
	if grep -q '^state enabled$' "$STORE/users/e2ehenry" 2>/dev/null; then ok "e2ehenry enabled"
	else fail "e2ehenry not enabled"; fi
}

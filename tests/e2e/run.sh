#!/bin/bash
# SPDX-License-Identifier: ISC
#
# End-to-end journeys of issue 5 with the real programs: sshd on loopback,
# ssh, sudo and su, driven by expect, codes from oathtool; then the
# quickstart demo without a terminal (tests/e2e/quickstart.sh).
#
#   tests/e2e/run.sh [BUILDDIR]
#
# BUILDDIR is a configured and built tree (default: $ODIN_BUILD_DIR, else
# the current directory); the script uses BUILDDIR/pam_odin/.libs/pam_odin.so,
# BUILDDIR/odin-mfa-cli/odin-mfa-cli and the compiled-in paths from
# BUILDDIR/autoconfig.h.  Must run as root.  Exit status: 0 all journeys
# passed, 1 a journey failed, 77 a prerequisite is missing (automake SKIP;
# with ODIN_E2E_REQUIRE=1 a missing prerequisite is a failure instead).
# ODIN_E2E_KEEP=DIR copies the transcripts and the captured syslog to DIR.
#
# Nothing on the host changes: everything runs in a private mount namespace
# (unshare -m --propagation private) where
#   /etc      is a bind-mounted private copy (PAM files for sshd/sudo/su,
#             /etc/odin-mfa.conf, sudoers.d, and the throwaway users, which
#             therefore never exist on the host),
#   /dev      is a tmpfs with the usual nodes bound in and our own /dev/log
#             datagram socket, read by this script (log lines are checked),
#   /run      is a tmpfs (sshd privsep dir, sudo timestamps, utmp),
#   /var/log  is a tmpfs (wtmp/btmp/lastlog written by sshd/su),
# and the store, the module copy, host keys and homes live in one temp dir
# that is removed at the end.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)

skip() {
	echo "e2e: SKIP: $*" >&2
	[ "${ODIN_E2E_REQUIRE:-0}" = 1 ] && exit 1
	exit 77
}

# ---------------------------------------------------------------- outer
if [ "${ODIN_E2E_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || skip "must run as root"
	B=${1:-${ODIN_BUILD_DIR:-.}}
	B=$(cd "$B" 2>/dev/null && pwd) || skip "no build dir $1"
	[ -f "$B/pam_odin/.libs/pam_odin.so" ] || skip "$B/pam_odin/.libs/pam_odin.so not built"
	[ -x "$B/odin-mfa-cli/odin-mfa-cli" ] || skip "$B/odin-mfa-cli/odin-mfa-cli not built"
	[ -f "$B/autoconfig.h" ] || skip "$B/autoconfig.h missing"
	for t in unshare mount /usr/sbin/sshd ssh ssh-keygen sudo su expect oathtool \
	    python3 useradd chpasswd setpriv; do
		command -v "$t" >/dev/null 2>&1 ||
		    skip "$t not found (Debian packages: openssh-server openssh-client sudo expect oathtool)"
	done
	T=$(mktemp -d /tmp/odin-e2e.XXXXXX) || exit 1
	chmod 0755 "$T"
	ODIN_E2E_INNER=1 ODIN_E2E_T=$T unshare -m --propagation private \
	    /bin/bash "$0" "$B"
	rc=$?
	rm -rf "$T"
	# The quickstart demo, in its no-terminal (oathtool) mode.
	echo "== quickstart demo (demo/quickstart without a terminal)"
	"$HERE/quickstart.sh" "$B" || rc=1
	exit $rc
fi

# ---------------------------------------------------------------- inner
B=$1
T=$ODIN_E2E_T
CLI=$B/odin-mfa-cli/odin-mfa-cli
CONF=$(sed -n 's/^#define ODIN_CONFIG_PATH "\(.*\)"$/\1/p' "$B/autoconfig.h")
STORE=$T/store
MOD=$T/lib/pam_odin.so
OUT=$T/out
SYSLOG=$T/syslog.txt
LOGGER_PID=
SSHD_PID=
PORT=
MARK='E2E-OK-42'			# printed by the remote command below
DIRUSER='e2e.joe@corp.example'		# a name as SSSD/AD hands it out
REMOTE_CMD='echo E2E-OK-$((40+2))'	# the literal text never contains $MARK
PW=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')x9
USERS="e2ealice e2ebob e2ecarol e2edave e2eerin e2efrank e2egrace e2ehenry"
declare -A SECRET LAST
SENT_CODES=()			# every code typed, for the log check

mkdir -p "$OUT" "$T/lib" "$T/home" "$T/ssh" "$T/client"

cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	[ -n "$LOGGER_PID" ] && kill "$LOGGER_PID" 2>/dev/null
	if [ -n "${ODIN_E2E_KEEP:-}" ]; then
		mkdir -p "$ODIN_E2E_KEEP" && cp -r "$OUT"/. "$SYSLOG" "$T/sshd.log" "$ODIN_E2E_KEEP"/ 2>/dev/null
	fi
	# The throwaway users live only in the private /etc copy; removing
	# them here is for symmetry, the copy goes away with $T anyway.
	for u in $USERS; do userdel "$u" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

die() { echo "e2e: setup: $*" >&2; exit 1; }

# --- the sandbox: /etc copy, /dev with our /dev/log, /run, /var/log ---------
setup_namespace() {
	cp -a /etc "$T/etc" || die "copy /etc"
	mount --bind "$T/etc" /etc || die "bind /etc"

	mkdir -p "$T/dev"
	mount -t tmpfs -o mode=0755 e2edev "$T/dev" || die "tmpfs /dev"
	for n in null zero full random urandom tty; do
		touch "$T/dev/$n" && mount --bind "/dev/$n" "$T/dev/$n" || die "bind /dev/$n"
	done
	mkdir "$T/dev/pts" "$T/dev/shm"
	# A private devpts instance: the host's ptys are neither seen nor used.
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 e2epts "$T/dev/pts" || die "devpts"
	ln -s pts/ptmx "$T/dev/ptmx"
	mount --bind /dev/shm "$T/dev/shm" || die "bind /dev/shm"
	ln -s /proc/self/fd "$T/dev/fd"
	ln -s /proc/self/fd/0 "$T/dev/stdin"
	ln -s /proc/self/fd/1 "$T/dev/stdout"
	ln -s /proc/self/fd/2 "$T/dev/stderr"
	: >"$SYSLOG"
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "ab", buffering=0)
open(sys.argv[3], "w").close()
while True:
    out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$T/dev/log" "$SYSLOG" "$T/logger.ready" &
	LOGGER_PID=$!
	for _ in $(seq 50); do [ -e "$T/logger.ready" ] && break; sleep 0.1; done
	[ -e "$T/logger.ready" ] || die "log reader did not start"
	mount --rbind "$T/dev" /dev || die "bind /dev"

	mount -t tmpfs -o mode=0755 e2erun /run || die "tmpfs /run"
	mkdir -m 0755 /run/sshd
	mount -t tmpfs -o mode=0755 e2elog /var/log || die "tmpfs /var/log"
	touch /var/log/wtmp /var/log/btmp /var/log/lastlog
}

# PAM stacks: the README's recipes, on Debian's own files.  The module is
# named by absolute path (a copy of the built one).
pam_password_code() {	# password, then code: sshd, sudo (the README: after @include common-auth)
	{
		echo "# odin-mfa e2e: the README recipe, password then code"
		[ "${1:-}" = su ] && echo "auth sufficient pam_rootok.so"
		echo "@include common-auth"
		echo "auth required $MOD${2:+ $2}"
		echo "account required pam_unix.so"
		echo "session required pam_permit.so"
		echo "password required pam_deny.so"
	}
}
pam_code_only() {	# key + code: sshd does the key, PAM the code; no record: the key alone
	printf '%s\n' "# odin-mfa e2e: the README recipe, code only (after publickey)" \
	    "auth [success=done ignore=ignore default=die] $MOD" "auth required pam_permit.so" \
	    "account required pam_unix.so" "session required pam_permit.so" "password required pam_deny.so"
}
pam_login() {	# console login: Debian's file, root's console path kept without pam_odin
	sed "/^@include common-auth/a auth [success=1 default=ignore] pam_succeed_if.so user = root quiet\\
auth required $MOD" "$T/login.orig"
}

setup_files() {
	install -m 0644 "$B/pam_odin/.libs/pam_odin.so" "$MOD" || die "module copy"
	pam_password_code >/etc/pam.d/sshd
	pam_password_code >/etc/pam.d/sudo
	pam_password_code su su_caller >/etc/pam.d/su
	cp /etc/pam.d/login "$T/login.orig"
	pam_login >/etc/pam.d/login
	case $CONF in
	/etc/*) mkdir -p "$(dirname "$CONF")" ;;
	*) [ -f "$CONF" ] || die "config path $CONF is outside /etc and absent"
	   : >"$T/odin-mfa.conf"; mount --bind "$T/odin-mfa.conf" "$CONF" || die "bind $CONF" ;;
	esac
	printf '%s\n' "# odin-mfa e2e" "store_dir = $STORE" "window = 1" >"$CONF"
	chown root:root "$CONF"; chmod 0644 "$CONF"
	"$CLI" admin db-init >/dev/null || die "admin db-init"
	printf '%s\n' "Defaults lecture=never" "Defaults passwd_tries=1" \
	    "Defaults !mail_badpass" "e2eerin ALL=(ALL) ALL" >/etc/sudoers.d/odin-e2e
	chmod 0440 /etc/sudoers.d/odin-e2e
	for u in $USERS; do
		useradd -m -d "$T/home/$u" -s /bin/sh "$u" || die "useradd $u"
		echo "$u:$PW" | chpasswd || die "chpasswd $u"
	done
	# root's password (su -, the console): in this private /etc only
	echo "root:$PW" | chpasswd || die "chpasswd root"
	# a directory-style user (SSSD, AD, FreeIPA names), written as a directory would hand it out
	echo "$DIRUSER:x:3901:3901:directory user:$T/home/diruser:/bin/sh" >>/etc/passwd
	echo "diruser:x:3901:" >>/etc/group
	echo "$DIRUSER:*:19000:0:99999:7:::" >>/etc/shadow
	install -d -m 0755 -o 3901 -g 3901 "$T/home/diruser"
	echo "$DIRUSER:$PW" | chpasswd || die "chpasswd $DIRUSER"
}

setup_sshd() {
	ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_ed25519" || die "host key"
	ssh-keygen -q -t ed25519 -N '' -f "$T/client/id_ed25519" || die "client key"
	for u in e2ecarol e2egrace; do
		install -d -m 0700 -o $u -g $u "$T/home/$u/.ssh"
		install -m 0600 -o $u -g $u "$T/client/id_ed25519.pub" "$T/home/$u/.ssh/authorized_keys"
	done
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$T/ssh/sshd_config" <<EOF
# odin-mfa e2e sshd: loopback only, its own keys
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/ssh/host_ed25519
PidFile $T/ssh/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PermitRootLogin no
AuthenticationMethods keyboard-interactive
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
MaxAuthTries 6
LoginGraceTime 60
Match User e2ecarol,e2egrace
	AuthenticationMethods publickey,keyboard-interactive
EOF
	/usr/sbin/sshd -t -f "$T/ssh/sshd_config" || die "sshd -t"
	/usr/sbin/sshd -D -f "$T/ssh/sshd_config" -E "$T/sshd.log" &
	SSHD_PID=$!
	for _ in $(seq 50); do grep -q 'Server listening' "$T/sshd.log" 2>/dev/null && break; sleep 0.1; done
	grep -q 'Server listening' "$T/sshd.log" || { cat "$T/sshd.log"; die "sshd did not start"; }
	SSH_OPTS+=(-p "$PORT")
}

# --- helpers ----------------------------------------------------------------
FAILS=0
CUR=
LOG=
fail() { echo "  FAIL: $CUR: $*"; FAILS=$((FAILS + 1)); JFAIL=1
	 [ -n "$LOG" ] && sed 's/^/    | /' "$LOG" | tail -n 25; }
ok() { echo "  ok: $CUR: $*"; }

# drive NAME PASSWORD CODE COMMAND... : one expect-driven session, transcript
# in $OUT/NAME.log (the answers are never in it: prompts are read with echo
# off); returns the command's status.  "-" = that prompt must not appear.
# DRIVE_SHELL=CMDLINE: typed at the shell prompt of an interactive login.
drive() {
	local name=$1 pw=$2 code=$3
	shift 3
	LOG=$OUT/$name.log
	CUR=$name
	[ "$code" != - ] && [ "$code" != @enroll ] && SENT_CODES+=("$code")
	local envs=(-u E2E_PASSWORD -u E2E_CODE -u E2E_TOKEN)
	[ "$pw" != - ] && envs+=("E2E_PASSWORD=$pw")
	[ "$code" != - ] && envs+=("E2E_CODE=$code")
	[ -n "${DRIVE_SHELL:-}" ] && envs+=("E2E_SHELL=$DRIVE_SHELL")
	[ -n "${DRIVE_TOKEN:-}" ] && { envs+=("E2E_TOKEN=$DRIVE_TOKEN"); SENT_CODES+=("$DRIVE_TOKEN"); }
	env "${envs[@]}" expect -f "$HERE/drive.exp" "$@" >"$LOG" 2>&1
}
saw() { grep -q -F -- "$1" "$LOG"; }

# Expect a successful session: status 0 and the marker printed.
want_ok() {
	local rc=$1
	if [ "$rc" = 0 ] && saw "$MARK"; then ok "$2"; else fail "$2 (status $rc, marker $(saw "$MARK" && echo seen || echo missing))"; fi
}
# Expect a refusal: non-zero status and no marker.
want_refused() {
	local rc=$1
	if [ "$rc" != 0 ] && ! saw "$MARK"; then ok "$2"; else fail "$2 (status $rc: was not refused)"; fi
}
want_prompt() {
	if saw "@@EVENT code-prompt" && grep -q '@@EVENT code-prompt.*Verification code:' "$LOG"; then
		ok "asked 'Verification code:'"
	else fail "the 'Verification code:' prompt did not appear"; fi
}
want_no_prompt() {
	if saw "@@EVENT code-prompt"; then fail "a code was asked for"; else ok "no code asked"; fi
}
want_password_prompt() {
	if saw "@@EVENT password-prompt"; then ok "asked the password"; else fail "the password was not asked"; fi
}

# ssh options for every session; -p is added once the port is known.
SSH_OPTS=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 -o LogLevel=ERROR)
KBD=(-o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no)

# The next TOTP code for USER: the lowest step above the last one used that
# the module accepts now (window = 1: the current step or the next).  A code
# at or below the last accepted step is a replay and refused, so when both
# are used up this waits for the clock.  Sets CODE.
next_code() {
	local u=$1 t cur step last=${LAST[$1]:-0}
	while :; do
		t=$(date +%s); cur=$((t / 30))
		step=$cur
		[ "$step" -le "$last" ] && step=$((last + 1))
		[ "$step" -le $((cur + 1)) ] && break
		echo "  (waiting $((30 - t % 30 + 1)) s for the next TOTP step)"
		sleep $((30 - t % 30 + 1))
	done
	CODE=$(oathtool --totp -b "${SECRET[$u]}" -N "@$((step * 30))")
	LAST[$u]=$step
}
# A 6-digit code that is none of USER's codes within 12 steps of now.
wrong_code() {
	local u=$1 t c i near=" "
	t=$(date +%s)
	for i in $(seq -12 12); do near+="$(oathtool --totp -b "${SECRET[$u]}" -N "@$((t + i * 30))") "; done
	c=$(( (10#$(oathtool --totp -b "${SECRET[$u]}" -N "@$t") + 500000) % 1000000 ))
	while [[ $near == *" $(printf %06d $c) "* ]]; do c=$(( (c + 1) % 1000000 )); done
	printf %06d $c
}
import_secret() {	# enable MFA for USER with a known secret (admin import)
	local u=$1
	SECRET[$u]=$(head -c 20 /dev/urandom | base32 | tr -d '=')
	printf '%s\n' "${SECRET[$u]}" | "$CLI" admin import "$u" >"$OUT/import-$u.log" 2>&1 ||
	    { cat "$OUT/import-$u.log"; return 1; }
	[ -f "$STORE/users/$u" ] || { echo "no record for $u after import"; return 1; }
}

. "$HERE/journeys.sh"

setup_namespace
setup_files
setup_sshd
echo "e2e: sandbox $T, sshd on 127.0.0.1:$PORT, module $MOD, config $CONF"

for u in e2ealice e2ecarol e2eerin e2efrank; do
	import_secret "$u" || die "admin import $u failed"
done

START=$(date +%s)
RESULTS=()
for j in $JOURNEYS; do
	echo "== $j"
	JFAIL=0
	"journey_$j"
	if [ $JFAIL = 0 ]; then RESULTS+=("PASS $j"); else RESULTS+=("FAIL $j"); fi
done
echo "== log check"
JFAIL=0
check_logs
if [ $JFAIL = 0 ]; then RESULTS+=("PASS logs"); else RESULTS+=("FAIL logs"); fi

echo "== summary ($(( $(date +%s) - START )) s)"
printf '  %s\n' "${RESULTS[@]}"
[ "$FAILS" = 0 ] || { echo "e2e: $FAILS check(s) failed"; exit 1; }
echo "e2e: all journeys passed"
exit 0

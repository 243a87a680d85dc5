# SPDX-License-Identifier: ISC
# Shared setup for tests/faults/*.test.  Sourced, not run.  Re-executes the
# calling script in a private mount namespace with a tmpfs /dev holding our
# own /dev/log (read by `pam_harness -L`), so every log line the module and
# the CLI write lands in $LOG and can be checked.  Run from the top build
# directory (make check does).  Needs root.
#
# Every log captured here is appended, at exit, to $ODIN_SYSLOG_COLLECT
# (default tests/faults/captured.syslog in the build tree), and every
# secret/code the test used to $ODIN_SECRETS_COLLECT (default
# tests/faults/used.secrets): tests/faults/notrace.test greps the one for
# the other.  Other suites may append to the same two files.
set -u

fl_self=$0
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: $(basename "$0") needs root"; exit 77; fi
B=${ODIN_FAULTS_BUILD:-$(pwd)}
export ODIN_SYSLOG_COLLECT=${ODIN_SYSLOG_COLLECT:-$B/tests/faults/captured.syslog}
export ODIN_SECRETS_COLLECT=${ODIN_SECRETS_COLLECT:-$B/tests/faults/used.secrets}
if [ -z "${ODIN_FAULTS_NS:-}" ]; then
	exec env ODIN_FAULTS_NS=1 ODIN_FAULTS_BUILD="$B" unshare -m --propagation private -- bash "$fl_self" "$@"
fi
fl_src=$(cd "$(dirname "$fl_self")" && pwd)

MOD=$B/pam_odin/.libs/pam_odin.so
H=$B/tests/pam_harness
CLI=$B/odin-mfa-cli/odin-mfa-cli
SHIM=$B/tests/faults/.libs/faultshim.so
for f in "$MOD" "$H" "$CLI" "$SHIM"; do [ -e "$f" ] || { echo "missing $f: make check builds it"; exit 99; }; done
for t in oathtool expect python3; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
FAKELIB=
for f in /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -e "$f" ] && { FAKELIB=$f; break; }
done
[ -n "$FAKELIB" ] || { echo "SKIP: libfaketime missing"; exit 77; }
export TZ=UTC LC_ALL=C
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}verify_asan_link_order=0:detect_leaks=0"

T=$(mktemp -d /tmp/odin-faults.XXXXXX)
LOG=$T/log
S=$T/store
CONF=$T/odin.conf
fl_logpid=
fl_extra_cleanup=
fl_cleanup() {
	[ -n "$fl_extra_cleanup" ] && eval "$fl_extra_cleanup"
	[ -n "$fl_logpid" ] && kill "$fl_logpid" 2>/dev/null && wait "$fl_logpid" 2>/dev/null
	[ -f "$LOG" ] && cat "$LOG" >> "$ODIN_SYSLOG_COLLECT"
	[ -f "$T/secrets" ] && cat "$T/secrets" >> "$ODIN_SECRETS_COLLECT"
	cd /
	umount "$S" 2>/dev/null; umount "$S" 2>/dev/null
	rm -rf --one-file-system "$T"
}
trap fl_cleanup EXIT

mount -t tmpfs -o mode=0755 odin-faults-dev /dev || exit 99
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/tty c 5 0; mknod -m 666 /dev/ptmx c 5 2
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
mkdir -m 755 /dev/pts && mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts && \
	{ rm -f /dev/ptmx; ln -s pts/ptmx /dev/ptmx; }
mkdir -m 1777 /dev/shm && mount -t tmpfs -o mode=1777 odin-faults-shm /dev/shm
: > "$LOG"
"$H" -L /dev/log "$LOG" & fl_logpid=$!
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
[ -S /dev/log ] || { echo "log reader did not start"; exit 99; }

# the module keys records by the account NSS knows: the test users exist (here only)
cp /etc/passwd "$T/passwd"
for u in alice:4901 bob:4902 pat:4903; do
	echo "${u%%:*}:x:${u##*:}:65534::/nonexistent:/usr/sbin/nologin" >> "$T/passwd"
done
mount --bind "$T/passwd" /etc/passwd || exit 99

printf 'store_dir = %s\n' "$S" > "$CONF"; chmod 644 "$CONF"
cp "$CONF" "$T/rt.conf"	# recordtool's own: the tests may break $CONF on purpose
mkdir -p "$T/pam.d"
# the password module first, as admins stack it: a PAM_IGNORE of ours then means success
printf 'auth requisite pam_permit.so\nauth required %s store=%s config=%s\n' "$MOD" "$S" "$CONF" > "$T/pam.d/login"

SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
T0=1699999995			# the middle of step 56666666
echo "$SECRET" >> "$T/secrets"

npass=0 nfail=0
ok() { npass=$((npass + 1)); echo "ok $((npass + nfail)) - $*"; }
notok() { nfail=$((nfail + 1)); echo "not ok $((npass + nfail)) - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else notok "$d"; fi; }
finish() { echo "# $npass passed, $nfail failed"; [ "$nfail" -eq 0 ]; exit $?; }

at() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S'; }
# code TIME [SECRET]: oathtool's code, remembered for the log check
code() { local c; c=$(oathtool --totp -b -N "@$1" "${2:-$SECRET}"); echo "$c" >> "$T/secrets"; echo "$c"; }

new_store() {
	umount "$S" 2>/dev/null
	rm -rf --one-file-system "$S"
	mkdir -m 700 "$S" "$S/users" "$S/locks"
}
# put_record USER [STATE] [SECRET]: a record in the format of common/record.h
put_record() {
	printf 'odin-mfa-record 1\nstate %s\nsecret %s\nalgorithm SHA1\ndigits 6\nperiod 30\nlast_step 0\nfailures 0\nlockout_until 0\nlockout_count 0\nbackup_kdf none\ncreated 1690000000\nupdated 1690000000\nend\n' \
	    "${2:-enabled}" "${3:-$SECRET}" > "$S/users/$1"
	chmod 600 "$S/users/$1"
}
# What the store says of USER (files: the record with its login state,
# common/slots.h, applied), through recordtool, without the generation tag:
# the same state reads the same whichever record replacement made it.
RT() { "$B/tests/recordtool" "$T/rt.conf" "$@"; }
field() { RT get "$1" "$2"; }
view() { RT cat "$1" 2>/dev/null | grep -v '^generation '; }
# upgrade USER: the record as the store writes it today (with a generation
# and a state file), as after an enrollment; put_record writes the old form.
upgrade() { RT cat "$1" > "$T/up.txt" && RT put "$1" < "$T/up.txt"; rm -f "$T/up.txt"; }
# snap NAME USER / restore NAME USER: the user's record and state file as they are / back.
snap() {
	cp "$S/users/$2" "$T/$1.rec"
	if [ -e "$S/locks/$2" ]; then cp "$S/locks/$2" "$T/$1.lck"; else rm -f "$T/$1.lck"; fi
	view "$2" > "$T/$1.view"
}
restore() {
	new_store
	cp "$T/$1.rec" "$S/users/$2"; chmod 600 "$S/users/$2"
	if [ -e "$T/$1.lck" ]; then cp "$T/$1.lck" "$S/locks/$2"; chmod 600 "$S/locks/$2"; fi
}
# state_of USER SNAP:WORD...: the WORD of the snapshot whose view USER has now, else TORN.
state_of() {
	local u=$1 p; shift
	view "$u" > "$T/now.view"
	for p in "$@"; do cmp -s "$T/now.view" "$T/${p%%:*}.view" && { echo "${p#*:}"; return 0; }; done
	echo TORN
}

# harness TIME [-F FAULT] [-P EXTRA_PRELOAD] harness-args... : runs
# pam_harness at the faked TIME (libfaketime preloaded, clock stopped),
# optionally with the fault shim; sets RES (RESULT name, or KILLED) and
# leaves the conversation in $T/out.
harness() {
	local t=$1 fault= pre=; shift
	while :; do
		case ${1:-} in
		-F) fault=$2; shift 2;;
		-P) pre=$2; shift 2;;
		*) break;;
		esac
	done
	# (a subshell, so that bash's "Killed" notice goes nowhere)
	if [ -n "$fault" ]; then
		( env ODIN_FAULT_DIR="$S" ODIN_FAULT="$fault" ODIN_FAULT_TRACE="${FTRACE:-}" \
		    LD_PRELOAD="$SHIM:$FAKELIB${pre:+:$pre}" FAKETIME="$(at "$t")" \
		    "$H" -d "$T/pam.d" "$@" > "$T/out" 2> "$T/err" ) 2> /dev/null
	else
		( env ODIN_FAULT_DIR="$S" ODIN_FAULT_TRACE="${FTRACE:-}" \
		    LD_PRELOAD="${FTRACE:+$SHIM:}$FAKELIB${pre:+:$pre}" FAKETIME="$(at "$t")" \
		    "$H" -d "$T/pam.d" "$@" > "$T/out" 2> "$T/err" ) 2> /dev/null
	fi
	RC=$?
	RES=$(sed -n 's/^RESULT //p' "$T/out")
	[ $RC -eq 137 ] && RES=KILLED
	[ -n "$RES" ] || RES="rc$RC"
	return 0
}

# Waits until the log reader has written everything sent so far.
log_sync() {
	local tag="sync-$RANDOM-$RANDOM" i
	logger -u /dev/log "$tag" 2>/dev/null || python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.sendto(sys.argv[1].encode(),"/dev/log")' "$tag"
	for i in $(seq 100); do grep -q "$tag" "$LOG" && return 0; sleep 0.02; done
	return 1
}

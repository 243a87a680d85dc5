# SPDX-License-Identifier: ISC
# Shared setup for the odin-mfa-cli end-to-end scripts (tests/cli_*.sh).
# Sourced, not run.  Re-executes the calling script inside a private mount
# namespace (unshare -m) where /dev is an overlay holding our own /dev/log
# datagram socket, so the CLI's syslog lines land in $LOG instead of the
# console, and the test can assert them.  Needs root.
#
# ODIN_TEST_BACKEND=postgresql (with ODIN_TEST_PG_CONNINFO,
# ODIN_TEST_PG_PWFILE, ODIN_TEST_PG_KEY; tests/pg/run.sh sets them) runs a
# suite against that database: the config names it, the scripts read
# records through recfile/store_state (tests/recordtool), and the cases
# about the files layout are skipped with the reason (files_only).  The
# default is the files backend, unchanged.

set -u
cli_self=$0
cli_srcdir=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: $(basename "$0") needs root" >&2
	exit 77
fi
for t in unshare expect oathtool python3 sha256sum; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed" >&2; exit 77; }
done

# The binary under test: the build tree's (the tests run from the build dir).
CLI=${ODIN_CLI:-$PWD/odin-mfa-cli/odin-mfa-cli}
[ -x "$CLI" ] || { echo "FAIL: no CLI at $CLI" >&2; exit 99; }
CLI=$(cd "$(dirname "$CLI")" && pwd)/$(basename "$CLI")
BACKEND=${ODIN_TEST_BACKEND:-files}
RT=$PWD/tests/recordtool
PG_PLUGIN=$PWD/common/.libs/odin_store_pg.so
case $BACKEND in
files) ;;
postgresql)
	[ -x "$RT" ] || { echo "FAIL: no $RT (make check builds it)" >&2; exit 99; }
	for v in ODIN_TEST_PG_CONNINFO ODIN_TEST_PG_PWFILE ODIN_TEST_PG_KEY; do
		[ -n "${!v:-}" ] || { echo "FAIL: ODIN_TEST_BACKEND=postgresql needs $v" >&2; exit 99; }
	done;;
*) echo "FAIL: ODIN_TEST_BACKEND=$BACKEND: files or postgresql" >&2; exit 99;;
esac

if [ -z "${ODIN_CLI_IN_NS:-}" ]; then
	exec env ODIN_CLI_IN_NS=1 ODIN_CLI="$CLI" unshare -m --propagation private -- "$BASH" "$cli_self" "$@"
fi

T=$(mktemp -d /tmp/odin-cli-test.XXXXXX)
chmod 755 "$T"
LOG=$T/syslog
: > "$LOG"
cli_logger_pid=

cli_cleanup() {
	[ -n "$cli_logger_pid" ] && kill "$cli_logger_pid" 2>/dev/null
	[ -n "${cli_extra_cleanup:-}" ] && eval "$cli_extra_cleanup"
	cd /
	# Unmount ours (lazy: this namespace dies with us anyway) and remove the temp tree.
	umount -l /dev 2>/dev/null
	mountpoint -q "$T/dev-old" 2>/dev/null || rm -rf --one-file-system "$T"
}
trap cli_cleanup EXIT

mkdir -p "$T/dev-up" "$T/dev-work" "$T/dev-old"
mount --rbind /dev "$T/dev-old"
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$T/dev-up,workdir=$T/dev-work" /dev
for m in pts shm mqueue; do
	if mountpoint -q "$T/dev-old/$m" 2>/dev/null; then mount --rbind "$T/dev-old/$m" "/dev/$m"; fi
done
# Never leave a view of the real /dev inside $T (rm -rf must not reach it).
umount -R "$T/dev-old" || umount -l "$T/dev-old" || { echo "FAIL: cannot unmount $T/dev-old" >&2; exit 99; }
rm -f /dev/log
python3 - "$LOG" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(8192) + b"\n")
PY
cli_logger_pid=$!
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
[ -S /dev/log ] || { echo "FAIL: private /dev/log did not come up" >&2; exit 99; }

# A temp store and config for --config runs.
STORE=$T/store
CONF=$T/odin-mfa.conf
printf 'store_dir = %s\n' "$STORE" > "$CONF"
if [ "$BACKEND" = postgresql ]; then
	printf 'backend = postgresql\npg_plugin = %s\npg_conninfo = %s\npg_password_file = %s\nsecret_key_file = %s\npg_connect_timeout = 5\npg_statement_timeout = 5\n' \
	    "$PG_PLUGIN" "$ODIN_TEST_PG_CONNINFO" "$ODIN_TEST_PG_PWFILE" "$ODIN_TEST_PG_KEY" >> "$CONF"
	"$RT" "$CONF" init && "$RT" "$CONF" wipe || { echo "FAIL: cannot prepare the database" >&2; exit 99; }
fi
chmod 644 "$CONF"
# Logins and user commands never create a store; the admin does, once.
if [ "$BACKEND" = files ]; then
	"$CLI" --config "$CONF" admin db-init >/dev/null || { echo "FAIL: admin db-init" >&2; exit 99; }
fi

ntests=0
nfail=0
ok() { ntests=$((ntests + 1)); echo "ok $ntests - $*"; }
fail() { ntests=$((ntests + 1)); nfail=$((nfail + 1)); echo "not ok $ntests - $*"; }
check() {	# check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; return 1; fi
}
finish() {
	echo "# $((ntests - nfail)) passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}

# Waits (bounded) until the log holds a line matching the ERE $1.
log_has() {
	local i
	for i in $(seq 30); do
		grep -Eq -- "$1" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}

# A TOTP code for base32 secret $1 that oathtool computes (window of 1 around now).
totp() { oathtool --totp -b "$1"; }

# A 6-digit code that is wrong for secret $1 for the steps around now.
wrong_code() {
	local s=$1 c w
	w=" $(oathtool --totp -b -w 2 "$s" | tr '\n' ' ') $(oathtool --totp -b -w 2 -N "now - 90 seconds" "$s" | tr '\n' ' ') "
	for c in 000000 111111 222222 333333 424242 987654; do
		case $w in *" $c "*) ;; *) echo "$c"; return 0;; esac
	done
}

# Hashes every file of the store (names, modes, owners and contents).
store_digest() {
	(cd "$1" && find . -printf '%p %m %u %g %n\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum -b) | sha256sum
}

# Field of a record file: record_field FILE KEY
record_field() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1"; }

# The record of user $1 as a file to read: its text (secret in clear) as
# the store gives it, through recordtool -- on files the record with its
# login state applied (common/slots.h) -- and no file if there is no record.
recfile() {
	rm -f "$T/rec.$1"
	"$RT" "$CONF" cat "$1" > "$T/rec.$1.tmp" && mv "$T/rec.$1.tmp" "$T/rec.$1"
	rm -f "$T/rec.$1.tmp"
	echo "$T/rec.$1"
}
# A digest of every record: store_digest of the directory, or every record's text.
store_state() {
	if [ "$BACKEND" = files ]; then store_digest "$STORE"; else "$RT" "$CONF" dump | sha256sum; fi
}
# files_only WHAT: true on the files backend; else prints why WHAT is skipped.
files_only() {
	[ "$BACKEND" = files ] && return 0
	echo "# skip on $BACKEND: $1 (about the files layout)"
	return 1
}

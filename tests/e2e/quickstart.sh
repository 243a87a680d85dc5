#!/bin/bash
# SPDX-License-Identifier: ISC
#
# Runs demo/quickstart without a terminal (its oathtool mode) against a
# built tree and checks that every step happened: enrollment with a QR code
# and backup codes, a TOTP login, a refused replay, a backup-code login, a
# refused second use, and nothing left behind.
#
#   tests/e2e/quickstart.sh BUILDDIR      (as root; 77 = skipped)
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
B=$(cd "${1:-.}" && pwd) || exit 1
[ "$(id -u)" = 0 ] || { echo "quickstart test: SKIP: needs root"; exit 77; }
[ -x "$B/demo/odin-demo-login" ] || { echo "quickstart test: SKIP: $B/demo/odin-demo-login not built"; exit 77; }

out=$(mktemp /tmp/odin-quickstart-test.XXXXXX)
trap 'rm -f "$out"' EXIT
before=$(ls -d /tmp/odin-demo.* 2>/dev/null | sort)
ODIN_BUILD_DIR=$B "$src/demo/quickstart" </dev/null >"$out" 2>&1
rc=$?
after=$(ls -d /tmp/odin-demo.* 2>/dev/null | sort)

fails=0
check() {	# check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then echo "  ok: $what"; else echo "  FAIL: $what"; fails=$((fails + 1)); fi
}
has() { grep -q -E -- "$1" "$out"; }
count() { [ "$(grep -c -E -- "$1" "$out")" -ge "$2" ]; }

check "exit status 0 (was $rc)" [ "$rc" = 0 ]
check "says it runs without a terminal with oathtool" has 'no terminal.*oathtool'
check "a QR code was drawn (>= 10 block lines)" count '▀|▄|█' 10
check "the otpauth URI was shown" has '^otpauth://totp/'
check "backup codes were shown" count '[a-z0-9]{5}-[a-z0-9]{5}' 5
check "the module asked for the code" has 'Verification code:'
check "two logins succeeded" count 'PAM said PAM_SUCCESS' 2
check "exactly two logins succeeded (replay and reused backup code refused)" \
    [ "$(grep -c 'PAM said PAM_SUCCESS' "$out")" = 2 ]
check "the replay was refused" has 'refused, as it must be'
check "the reused backup code was refused" has 'refused: a backup code works once'
check "explains how to install for real (the packages)" has 'dpkg-buildpackage -us -uc -b'
check "the sandbox directory was removed" [ "$before" = "$after" ]
if grep -q 'What the system log got' "$out"; then
	check "the module's log lines were shown" has 'pam_odin'
fi

if [ $fails != 0 ]; then
	echo "quickstart test: $fails check(s) failed; the demo said:"
	sed 's/^/    | /' "$out"
	exit 1
fi
echo "quickstart test: passed"

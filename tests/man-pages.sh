#!/bin/sh
# SPDX-License-Identifier: ISC
# Every man page renders with groff and man without a single warning.
set -u
srcdir=${srcdir:-$(dirname "$0")/..}
rc=0; n=0
for page in "$srcdir"/doc/*.[0-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$warn" ]; then echo "FAIL $page: $warn"; rc=1; continue; fi
	if command -v man >/dev/null 2>&1; then
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		if [ -n "$warn" ]; then echo "FAIL $page (man -l): $warn"; rc=1; continue; fi
	fi
	echo "ok $page"
done
[ "$n" -ge 3 ] || { echo "FAIL: expected 3 man pages, found $n"; rc=1; }
exit $rc
